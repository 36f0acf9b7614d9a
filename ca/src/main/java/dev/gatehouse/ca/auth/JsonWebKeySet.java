package dev.gatehouse.ca.auth;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import java.text.ParseException;
import java.util.List;

/**
 * The verification keys of a token issuer (RFC 7517), parsed by Nimbus JOSE+JWT: only the public halves of EC P-256
 * (ES256) and RSA (RS256) keys whose {@code use} is absent or {@code sig} are kept. Symmetric ({@code oct}) keys are
 * dropped, so an HMAC secret published by mistake can never verify a token; keys of other or unknown types are skipped,
 * as OIDC clients do. A key that claims a supported type but is malformed makes the whole set invalid. Immutable and
 * thread-safe.
 */
public final class JsonWebKeySet {
  private final JWKSet keys;

  private JsonWebKeySet(JWKSet keys) {
    this.keys = keys;
  }

  /** The usable verification keys among {@code keys} (private parts are stripped). */
  public static JsonWebKeySet of(List<? extends JWK> keys) {
    return new JsonWebKeySet(new JWKSet(keys.stream().filter(JsonWebKeySet::verifiesEs256OrRs256).map(JWK::toPublicJWK).toList()));
  }

  public static JsonWebKeySet parse(String json) throws IllegalArgumentException {
    if (json == null) {
      throw new IllegalArgumentException("JWKS missing");
    }
    try {
      return of(JWKSet.parse(json).getKeys());
    } catch (ParseException e) {
      throw new IllegalArgumentException("JWKS does not parse: " + e.getMessage(), e);
    }
  }

  public List<JWK> keys() {
    return keys.getKeys();
  }

  /** The Nimbus key set, for the verifier's key selection (by {@code kid}, {@code kty}, {@code crv} and {@code use}). */
  JWKSet jwkSet() {
    return keys;
  }

  /** The public key set as JSON, as an issuer serves it at its {@code jwks_uri}. */
  public String toJson() {
    return keys.toString(true);
  }

  private static boolean verifiesEs256OrRs256(JWK key) {
    if (key.getKeyUse() != null && !KeyUse.SIGNATURE.equals(key.getKeyUse())) {
      return false;
    }
    return key instanceof RSAKey || (key instanceof ECKey ec && Curve.P_256.equals(ec.getCurve()));
  }
}
