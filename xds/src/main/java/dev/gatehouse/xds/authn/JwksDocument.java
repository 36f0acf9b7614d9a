package dev.gatehouse.xds.authn;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import java.util.Optional;

/**
 * Checks that a string is a JWKS document Envoy will load: a JSON object with a non-empty "keys" array of objects
 * that each have a "kty". Envoy rejects a whole listener whose inline JWKS does not parse, so a bad key set is
 * replaced (fail closed) rather than sent.
 */
public final class JwksDocument {
  private JwksDocument() {}

  /** Empty when valid; otherwise why not. */
  public static Optional<String> problem(String json) {
    if (json == null || json.isBlank()) {
      return Optional.of("empty JWKS");
    }
    Struct.Builder s = Struct.newBuilder();
    try {
      JsonFormat.parser().ignoringUnknownFields().merge(json, s);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      return Optional.of("JWKS is not a JSON object: " + e.getMessage());
    }
    Value keys = s.getFieldsMap().get("keys");
    if (keys == null || !keys.hasListValue() || keys.getListValue().getValuesCount() == 0) {
      return Optional.of("JWKS has no \"keys\"");
    }
    for (Value k : keys.getListValue().getValuesList()) {
      if (!k.hasStructValue() || !k.getStructValue().getFieldsMap().containsKey("kty")) {
        return Optional.of("JWKS key without \"kty\"");
      }
    }
    return Optional.empty();
  }
}
