package dev.gatehouse.xds.authn;

import java.util.Map;
import java.util.Optional;

/**
 * The key sets Gatehouse has fetched for {@code jwksUri}s, as the pure translator sees them: an immutable map from
 * URI to the JWKS JSON to inline. A URI that is absent (not fetched yet, or never fetched successfully) is inlined
 * as {@link FailClosedJwks#JSON}, which verifies no token. Produced by {@link JwksResolver}.
 */
public record JwksSnapshot(Map<String, String> keySets) {
  public static final JwksSnapshot EMPTY = new JwksSnapshot(Map.of());

  public JwksSnapshot {
    keySets = keySets == null ? Map.of() : Map.copyOf(keySets);
  }

  public Optional<String> keySet(String jwksUri) {
    return Optional.ofNullable(keySets.get(jwksUri));
  }
}
