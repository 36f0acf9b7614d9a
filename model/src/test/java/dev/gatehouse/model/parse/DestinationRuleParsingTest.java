package dev.gatehouse.model.parse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.api.istio.networking.v1alpha3.ClientTLSSettings;
import dev.gatehouse.api.istio.networking.v1alpha3.ClientTLSSettings.TLSmode;
import dev.gatehouse.api.istio.networking.v1alpha3.DestinationRule;
import dev.gatehouse.api.istio.networking.v1alpha3.Subset;
import dev.gatehouse.api.istio.networking.v1alpha3.TrafficPolicy;
import dev.gatehouse.model.InvalidPolicy;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.PolicyKind;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DestinationRuleParsingTest {
  private static List<ParseResult> fixture;

  @BeforeAll
  static void load() {
    fixture = Fixtures.resource("destination-rules.yaml");
  }

  @Test
  void allThreeApiVersionsParse() {
    assertThat(fixture).hasSize(3);
    assertThat(Fixtures.<DestinationRule>policyIn(fixture, "prod", "bookinfo-ratings").meta().apiVersion())
        .isEqualTo("networking.istio.io/v1");
    assertThat(Fixtures.<DestinationRule>policyIn(fixture, "default", "db-mtls").meta().apiVersion())
        .isEqualTo("networking.istio.io/v1alpha3");
    assertThat(Fixtures.<DestinationRule>policyIn(fixture, "default", "tls-origination").meta().apiVersion())
        .isEqualTo("networking.istio.io/v1beta1");
  }

  @Test
  void trafficPolicyTlsAndPortLevelTlsAreRead() {
    Policy<DestinationRule> p = Fixtures.policyIn(fixture, "prod", "bookinfo-ratings");
    assertThat(p.kind()).isEqualTo(PolicyKind.DESTINATION_RULE);
    DestinationRule dr = p.spec();
    assertThat(dr.getHost()).isEqualTo("ratings.prod.svc.cluster.local");
    TrafficPolicy tp = dr.getTrafficPolicy();
    assertThat(tp.getTls().getMode()).isEqualTo(TLSmode.ISTIO_MUTUAL);
    assertThat(tp.getPortLevelSettingsCount()).isEqualTo(2);
    assertThat(tp.getPortLevelSettings(0).getPort().getNumber()).isEqualTo(80);
    assertThat(tp.getPortLevelSettings(0).getTls().getMode()).isEqualTo(TLSmode.DISABLE);
    assertThat(tp.getPortLevelSettings(0).hasTls()).isTrue();
    ClientTLSSettings mutual = tp.getPortLevelSettings(1).getTls();
    assertThat(tp.getPortLevelSettings(1).getPort().getNumber()).isEqualTo(9443);
    assertThat(mutual.getMode()).isEqualTo(TLSmode.MUTUAL);
    assertThat(mutual.getClientCertificate()).isEqualTo("/etc/certs/myclientcert.pem");
    assertThat(mutual.getPrivateKey()).isEqualTo("/etc/certs/client_private_key.pem");
    assertThat(mutual.getCaCertificates()).isEqualTo("/etc/certs/rootcacerts.pem");
    assertThat(mutual.getSubjectAltNamesList()).containsExactly("ratings.example.com");
    assertThat(mutual.getSni()).isEqualTo("ratings.example.com");
  }

  @Test
  void loadBalancerAndConnectionPoolArePresentAsOpaqueStructs() {
    TrafficPolicy tp = Fixtures.<DestinationRule>policyIn(fixture, "prod", "bookinfo-ratings").spec().getTrafficPolicy();
    assertThat(tp.hasLoadBalancer()).isTrue();
    assertThat(tp.getLoadBalancer().getFieldsOrThrow("simple").getStringValue()).isEqualTo("LEAST_REQUEST");
    assertThat(tp.hasConnectionPool()).isTrue();
    assertThat(
            tp.getConnectionPool().getFieldsOrThrow("tcp").getStructValue().getFieldsOrThrow("maxConnections")
                .getNumberValue())
        .isEqualTo(100.0);
  }

  @Test
  void subsetsCarryLabelsAndTheirOwnTls() {
    DestinationRule dr = Fixtures.<DestinationRule>policyIn(fixture, "prod", "bookinfo-ratings").spec();
    assertThat(dr.getSubsetsList()).extracting(Subset::getName).containsExactly("testversion", "v1");
    Subset test = dr.getSubsets(0);
    assertThat(test.getLabelsMap()).isEqualTo(Map.of("version", "v3"));
    ClientTLSSettings tls = test.getTrafficPolicy().getTls();
    assertThat(tls.getMode()).isEqualTo(TLSmode.SIMPLE);
    assertThat(tls.getCredentialName()).isEqualTo("ratings-client-credential");
    assertThat(tls.hasInsecureSkipVerify()).isTrue();
    assertThat(tls.getInsecureSkipVerify().getValue()).isFalse();
    assertThat(tls.getCaCrl()).isEqualTo("/etc/certs/crl.pem");
    assertThat(dr.getSubsets(1).hasTrafficPolicy()).isFalse();
  }

  @Test
  void trafficFieldsGatehouseDoesNotModelAreIgnored() {
    Policy<DestinationRule> p = Fixtures.policy("""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: future, namespace: default}
        spec:
          host: reviews
          trafficPolicy:
            someFutureField: {enabled: true}
            tls: {mode: ISTIO_MUTUAL}
          someOtherFutureField: 3
        """);
    assertThat(p.spec().getTrafficPolicy().getTls().getMode()).isEqualTo(TLSmode.ISTIO_MUTUAL);
  }

  @Test
  void aMisspeltTlsModeIsInvalidInsteadOfSilentlyPlaintext() {
    InvalidPolicy p = Fixtures.invalid("""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: typo, namespace: default}
        spec:
          host: reviews
          subsets:
          - name: v1
            labels: {version: v1}
            trafficPolicy:
              portLevelSettings:
              - port: {number: 9080}
                tls: {mode: ISTIO_MUTAL}
        """);
    assertThat(p.kind()).isEqualTo(PolicyKind.DESTINATION_RULE);
    assertThat(p.reason())
        .isEqualTo("subsets[0].trafficPolicy.portLevelSettings[0].tls.mode: unknown TLS mode \"ISTIO_MUTAL\"");
  }

  @Test
  void aTlsBlockOfTheWrongShapeIsInvalid() {
    InvalidPolicy p = Fixtures.invalid("""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: shape, namespace: default}
        spec:
          host: reviews
          trafficPolicy:
            tls: ISTIO_MUTUAL
        """);
    assertThat(p.reason()).startsWith("spec: ");
  }
}
