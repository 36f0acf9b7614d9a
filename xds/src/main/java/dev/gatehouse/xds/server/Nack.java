package dev.gatehouse.xds.server;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One NACK: a proxy refused the response that carried {@code version} of a type. Immutable.
 *
 * @param typeUrl the xDS type of the refused response
 * @param version the refused version (SotW {@code version_info}, delta {@code system_version_info})
 * @param code the gRPC status code of the proxy's {@code error_detail} (Envoy sends 13 INTERNAL, gRPC clients 3
 *     INVALID_ARGUMENT)
 * @param error the proxy's {@code error_detail.message}
 * @param resources the refused resources, as far as the error names them (see {@link NackedResources})
 * @param at when it arrived
 */
public record Nack(String typeUrl, String version, int code, String error, List<String> resources, Instant at) {
  /** Go's names of the gRPC codes, as istiod writes them into its {@code err} metric label. */
  private static final List<String> CODE_NAMES = List.of(
      "OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists",
      "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented",
      "Internal", "Unavailable", "DataLoss", "Unauthenticated");

  public Nack {
    Objects.requireNonNull(typeUrl, "typeUrl");
    version = version == null ? "" : version;
    error = error == null ? "" : error;
    resources = List.copyOf(resources);
    Objects.requireNonNull(at, "at");
  }

  /**
   * The bounded {@code err} label of the reject metrics: the code's name as istiod spells it ({@code InvalidArgument});
   * a code outside gRPC's 17 is {@code Unrecognized}, so a misbehaving proxy cannot grow the label set.
   */
  public String errLabel() {
    return code >= 0 && code < CODE_NAMES.size() ? CODE_NAMES.get(code) : "Unrecognized";
  }
}
