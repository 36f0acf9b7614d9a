package dev.gatehouse.posture.analyze;

import dev.gatehouse.api.istio.networking.v1alpha3.ClientTLSSettings;
import dev.gatehouse.api.istio.networking.v1alpha3.DestinationRule;
import dev.gatehouse.api.istio.networking.v1alpha3.Subset;
import dev.gatehouse.api.istio.networking.v1alpha3.TrafficPolicy;
import dev.gatehouse.model.Policy;
import dev.gatehouse.posture.MeshPosture;
import java.util.ArrayList;
import java.util.List;

/**
 * GH0009: a DestinationRule with {@code tls.mode} SIMPLE or MUTUAL that gives the client nothing to verify the
 * server with (no {@code caCertificates}, no {@code credentialName}), or that turns verification off with
 * {@code insecureSkipVerify}: the connection is encrypted but anyone can answer it. Every level is checked (rule,
 * port-level, subset, subset port-level). Pure.
 */
final class DestinationRuleChecks {
  private DestinationRuleChecks() {}

  static List<Finding> tlsWithoutCa(MeshPosture mesh) {
    List<Finding> out = new ArrayList<>();
    for (Policy<DestinationRule> p : mesh.snapshot().destinationRules()) {
      DestinationRule dr = p.spec();
      if (dr.hasTrafficPolicy()) {
        check(p, dr.getTrafficPolicy(), "", out);
      }
      for (Subset s : dr.getSubsetsList()) {
        if (s.hasTrafficPolicy()) {
          check(p, s.getTrafficPolicy(), "subset " + s.getName() + " ", out);
        }
      }
    }
    return out;
  }

  private static void check(Policy<DestinationRule> p, TrafficPolicy tp, String level, List<Finding> out) {
    if (tp.hasTls()) {
      check(p, tp.getTls(), level + "tls", out);
    }
    for (TrafficPolicy.PortTrafficPolicy pl : tp.getPortLevelSettingsList()) {
      if (pl.hasTls()) {
        check(p, pl.getTls(), level + "portLevelSettings " + pl.getPort().getNumber() + " tls", out);
      }
    }
  }

  private static void check(Policy<DestinationRule> p, ClientTLSSettings tls, String where, List<Finding> out) {
    if (tls.getMode() != ClientTLSSettings.TLSmode.SIMPLE && tls.getMode() != ClientTLSSettings.TLSmode.MUTUAL) {
      return;
    }
    String object = "DestinationRule " + p.key();
    String host = " towards " + p.spec().getHost();
    if (tls.hasInsecureSkipVerify() && tls.getInsecureSkipVerify().getValue()) {
      out.add(Finding.of(FindingCode.GH0009, object, where + " mode " + tls.getMode() + host
          + " sets insecureSkipVerify: the client accepts any server certificate"));
    } else if (tls.getCaCertificates().isEmpty() && tls.getCredentialName().isEmpty()) {
      out.add(Finding.of(FindingCode.GH0009, object, where + " mode " + tls.getMode() + host
          + " has neither caCertificates nor credentialName: the server's certificate is not verified against a "
          + "CA of yours"));
    }
  }
}
