package dev.gatehouse.ca.auth;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * A compact-serialized JWS split into its parts. Parsing does not verify anything: callers either verify the
 * signature ({@link JwtAuthenticator}) or use the claims only as hints (the TokenReview cache bound).
 */
public record JsonWebToken(JsonObject header, JsonObject claims, byte[] signingInput, byte[] signature) {
  private static final Base64.Decoder B64URL = Base64.getUrlDecoder();
  /** Kubernetes tokens are a few KiB; anything far larger is refused before parsing. */
  static final int MAX_TOKEN_LENGTH = 16 * 1024;

  public static JsonWebToken parse(String compact) throws IllegalArgumentException {
    if (compact == null || compact.length() > MAX_TOKEN_LENGTH) {
      throw new IllegalArgumentException("token missing or too large");
    }
    String[] parts = compact.split("\\.", -1);
    if (parts.length != 3) {
      throw new IllegalArgumentException("token is not a compact JWS");
    }
    try {
      JsonObject header = JsonParser.parseString(new String(B64URL.decode(parts[0]), StandardCharsets.UTF_8)).getAsJsonObject();
      JsonObject claims = JsonParser.parseString(new String(B64URL.decode(parts[1]), StandardCharsets.UTF_8)).getAsJsonObject();
      byte[] input = (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII);
      return new JsonWebToken(header, claims, input, B64URL.decode(parts[2]));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("token does not parse", e);
    }
  }

  public Optional<String> stringClaim(String name) {
    JsonElement e = claims.get(name);
    return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isString() ? Optional.of(e.getAsString()) : Optional.empty();
  }

  public Optional<Long> numericClaim(String name) {
    JsonElement e = claims.get(name);
    return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber() ? Optional.of(e.getAsLong()) : Optional.empty();
  }

  /** {@code aud} is a string or an array of strings (RFC 7519 §4.1.3). */
  public List<String> audiences() {
    JsonElement e = claims.get("aud");
    List<String> out = new ArrayList<>();
    if (e == null) {
      return out;
    }
    if (e.isJsonPrimitive()) {
      out.add(e.getAsString());
    } else if (e.isJsonArray()) {
      e.getAsJsonArray().forEach(a -> {
        if (a.isJsonPrimitive()) {
          out.add(a.getAsString());
        }
      });
    }
    return out;
  }

  public Optional<String> headerString(String name) {
    JsonElement e = header.get(name);
    return e != null && e.isJsonPrimitive() ? Optional.of(e.getAsString()) : Optional.empty();
  }
}
