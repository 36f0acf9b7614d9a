package dev.gatehouse.ca.auth;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * A JSON Web Key Set (RFC 7517) holding the verification keys of a token issuer: EC P-256 (ES256) and RSA (RS256)
 * keys. Keys of other types are skipped, as OIDC clients do. Immutable and thread-safe.
 */
public final class JsonWebKeySet {
  private final List<Key> keys;

  /** One verification key; {@code kid} may be empty. */
  public record Key(String kid, String algorithm, PublicKey publicKey) {
    public Key {
      kid = Objects.requireNonNullElse(kid, "");
      Objects.requireNonNull(algorithm, "algorithm");
      Objects.requireNonNull(publicKey, "publicKey");
    }
  }

  private JsonWebKeySet(List<Key> keys) {
    this.keys = List.copyOf(keys);
  }

  public static JsonWebKeySet of(List<Key> keys) {
    return new JsonWebKeySet(keys);
  }

  public List<Key> keys() {
    return keys;
  }

  /** Keys with this kid, or every key of the algorithm when the token has no kid. */
  public List<Key> candidates(String kid, String algorithm) {
    return keys.stream()
        .filter(k -> k.algorithm().equals(algorithm))
        .filter(k -> kid == null || kid.isEmpty() || k.kid().isEmpty() || k.kid().equals(kid))
        .toList();
  }

  public static JsonWebKeySet parse(String json) throws IllegalArgumentException {
    JsonArray array;
    try {
      array = JsonParser.parseString(json).getAsJsonObject().getAsJsonArray("keys");
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("JWKS does not parse: " + e.getMessage(), e);
    }
    if (array == null) {
      throw new IllegalArgumentException("JWKS has no \"keys\" array");
    }
    List<Key> keys = new ArrayList<>();
    for (JsonElement element : array) {
      JsonObject jwk = element.getAsJsonObject();
      String kid = jwk.has("kid") ? jwk.get("kid").getAsString() : "";
      String kty = jwk.has("kty") ? jwk.get("kty").getAsString() : "";
      try {
        if ("EC".equals(kty) && jwk.has("crv") && "P-256".equals(jwk.get("crv").getAsString())) {
          keys.add(new Key(kid, "ES256", ecPublicKey("secp256r1", b64(jwk, "x"), b64(jwk, "y"))));
        } else if ("RSA".equals(kty)) {
          RSAPublicKeySpec spec = new RSAPublicKeySpec(new BigInteger(1, b64(jwk, "n")), new BigInteger(1, b64(jwk, "e")));
          keys.add(new Key(kid, "RS256", KeyFactory.getInstance("RSA").generatePublic(spec)));
        }
      } catch (GeneralSecurityException | RuntimeException e) {
        throw new IllegalArgumentException("JWK " + kid + " is invalid: " + e.getMessage(), e);
      }
    }
    return new JsonWebKeySet(keys);
  }

  public String toJson() {
    JsonArray array = new JsonArray();
    for (Key key : keys) {
      JsonObject jwk = new JsonObject();
      if (!key.kid().isEmpty()) {
        jwk.addProperty("kid", key.kid());
      }
      jwk.addProperty("use", "sig");
      jwk.addProperty("alg", key.algorithm());
      if (key.publicKey() instanceof ECPublicKey ec) {
        jwk.addProperty("kty", "EC");
        jwk.addProperty("crv", "P-256");
        jwk.addProperty("x", b64(unsigned(ec.getW().getAffineX(), 32)));
        jwk.addProperty("y", b64(unsigned(ec.getW().getAffineY(), 32)));
      } else if (key.publicKey() instanceof RSAPublicKey rsa) {
        jwk.addProperty("kty", "RSA");
        jwk.addProperty("n", b64(rsa.getModulus().toByteArray()[0] == 0
            ? Arrays.copyOfRange(rsa.getModulus().toByteArray(), 1, rsa.getModulus().toByteArray().length)
            : rsa.getModulus().toByteArray()));
        jwk.addProperty("e", b64(rsa.getPublicExponent().toByteArray()));
      }
      array.add(jwk);
    }
    JsonObject root = new JsonObject();
    root.add("keys", array);
    return root.toString();
  }

  private static PublicKey ecPublicKey(String curve, byte[] x, byte[] y) throws GeneralSecurityException {
    AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
    parameters.init(new ECGenParameterSpec(curve));
    ECParameterSpec spec = parameters.getParameterSpec(ECParameterSpec.class);
    ECPoint point = new ECPoint(new BigInteger(1, x), new BigInteger(1, y));
    return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(point, spec));
  }

  private static byte[] b64(JsonObject jwk, String field) {
    if (!jwk.has(field)) {
      throw new IllegalArgumentException("missing \"" + field + "\"");
    }
    return Base64.getUrlDecoder().decode(jwk.get(field).getAsString());
  }

  private static String b64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static byte[] unsigned(BigInteger value, int length) {
    byte[] raw = value.toByteArray();
    byte[] out = new byte[length];
    int copy = Math.min(raw.length, length);
    System.arraycopy(raw, raw.length - copy, out, length - copy, copy);
    return out;
  }
}
