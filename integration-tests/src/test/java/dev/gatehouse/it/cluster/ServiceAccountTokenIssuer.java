package dev.gatehouse.it.cluster;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The two halves of Kubernetes' service-account token machinery that the fabric8 mock API server lacks in CRUD
 * mode: the token issuer (projected tokens are ES256 JWTs with {@code sub=system:serviceaccount:<ns>:<sa>}, an
 * audience, an expiry and the {@code kubernetes.io} claim) and the TokenReview API
 * ({@code POST /apis/authentication.k8s.io/v1/tokenreviews}), registered on the mock server as an expectation,
 * which fabric8's mixed dispatcher answers before falling back to CRUD. The review follows kube-apiserver: the
 * signature must verify with the issuer's key, the token must not be expired, and it must carry one of the
 * requested audiences (none requested = the API server's own audience); the answer lists the matching audiences.
 * The issuer's discovery document and JWKS are served at {@code /.well-known/openid-configuration} and
 * {@code /openid/v1/jwks} and can be written to a file for local JWT validation.
 *
 * <p>Thread-safe: the key is immutable; the review counter is atomic.
 */
public final class ServiceAccountTokenIssuer {
  public static final String ISSUER = "https://kubernetes.default.svc.cluster.local";
  public static final String API_SERVER_AUDIENCE = ISSUER;
  public static final String TOKEN_REVIEWS = "/apis/authentication.k8s.io/v1/tokenreviews";
  private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();

  private final KeyPair key;
  private final String kid;
  private final AtomicInteger reviews = new AtomicInteger();

  public ServiceAccountTokenIssuer() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    this.key = generator.generateKeyPair();
    this.kid = UUID.randomUUID().toString();
  }

  /** Answers TokenReviews and serves the issuer's discovery document and keys on {@code server}. */
  public void serveOn(KubernetesMockServer server) {
    server.expect().post().withPath(TOKEN_REVIEWS).andReply(201, request -> review(request.getUtf8Body())).always();
    server.expect().get().withPath("/openid/v1/jwks").andReply(200, request -> jwks()).always();
    server.expect().get().withPath("/.well-known/openid-configuration").andReply(200, request -> {
      JsonObject doc = new JsonObject();
      doc.addProperty("issuer", ISSUER);
      doc.addProperty("jwks_uri", ISSUER + "/openid/v1/jwks");
      return doc.toString();
    }).always();
  }

  /** A projected service-account token for {@code namespace/serviceAccount} (istio-agent asks for audience istio-ca). */
  public String mint(String namespace, String serviceAccount, List<String> audiences, Duration ttl) {
    Instant now = Instant.now();
    JsonObject header = new JsonObject();
    header.addProperty("alg", "ES256");
    header.addProperty("kid", kid);
    JsonObject claims = new JsonObject();
    claims.addProperty("iss", ISSUER);
    claims.addProperty("sub", "system:serviceaccount:" + namespace + ":" + serviceAccount);
    JsonArray aud = new JsonArray();
    audiences.forEach(aud::add);
    claims.add("aud", aud);
    claims.addProperty("iat", now.getEpochSecond());
    claims.addProperty("nbf", now.getEpochSecond());
    claims.addProperty("exp", now.plus(ttl).getEpochSecond());
    JsonObject k8s = new JsonObject();
    k8s.addProperty("namespace", namespace);
    JsonObject sa = new JsonObject();
    sa.addProperty("name", serviceAccount);
    sa.addProperty("uid", UUID.nameUUIDFromBytes((namespace + "/" + serviceAccount).getBytes(StandardCharsets.UTF_8)).toString());
    k8s.add("serviceaccount", sa);
    claims.add("kubernetes.io", k8s);
    String input = b64(header.toString()) + "." + b64(claims.toString());
    try {
      Signature signer = Signature.getInstance("SHA256withECDSAinP1363Format");
      signer.initSign(key.getPrivate());
      signer.update(input.getBytes(StandardCharsets.US_ASCII));
      return input + "." + B64URL.encodeToString(signer.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** How many TokenReviews the API server answered (shows whether a CA caches reviews). */
  public int reviewCount() {
    return reviews.get();
  }

  /** The issuer's JWKS, for Gatehouse's local JWT validation ({@code gatehouse.ca.jwt.jwks-file}). */
  public Path writeJwks(Path file) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.writeString(file, jwks(), StandardCharsets.UTF_8);
    return file;
  }

  String jwks() {
    ECPublicKey pub = (ECPublicKey) key.getPublic();
    JsonObject jwk = new JsonObject();
    jwk.addProperty("kty", "EC");
    jwk.addProperty("crv", "P-256");
    jwk.addProperty("kid", kid);
    jwk.addProperty("alg", "ES256");
    jwk.addProperty("use", "sig");
    jwk.addProperty("x", B64URL.encodeToString(coordinate(pub.getW().getAffineX())));
    jwk.addProperty("y", B64URL.encodeToString(coordinate(pub.getW().getAffineY())));
    JsonArray keys = new JsonArray();
    keys.add(jwk);
    JsonObject set = new JsonObject();
    set.add("keys", keys);
    return set.toString();
  }

  /** kube-apiserver's answer to one TokenReview. */
  String review(String body) {
    reviews.incrementAndGet();
    JsonObject request = JsonParser.parseString(body).getAsJsonObject();
    JsonObject spec = request.has("spec") ? request.getAsJsonObject("spec") : new JsonObject();
    String token = spec.has("token") ? spec.get("token").getAsString() : "";
    List<String> wanted = new ArrayList<>();
    if (spec.has("audiences") && spec.get("audiences").isJsonArray()) {
      for (JsonElement a : spec.getAsJsonArray("audiences")) {
        wanted.add(a.getAsString());
      }
    }
    if (wanted.isEmpty()) {
      wanted.add(API_SERVER_AUDIENCE);
    }
    JsonObject status = new JsonObject();
    try {
      JsonObject claims = verify(token);
      List<String> tokenAudiences = new ArrayList<>();
      for (JsonElement a : claims.getAsJsonArray("aud")) {
        tokenAudiences.add(a.getAsString());
      }
      List<String> matching = new ArrayList<>(wanted);
      matching.retainAll(tokenAudiences);
      if (matching.isEmpty()) {
        throw new GeneralSecurityException("token audiences " + tokenAudiences + " is invalid for the target audiences " + wanted);
      }
      if (Instant.now().getEpochSecond() >= claims.get("exp").getAsLong()) {
        throw new GeneralSecurityException("token has expired");
      }
      String sub = claims.get("sub").getAsString();
      String[] parts = sub.split(":");
      JsonObject user = new JsonObject();
      user.addProperty("username", sub);
      user.addProperty("uid", UUID.nameUUIDFromBytes(sub.getBytes(StandardCharsets.UTF_8)).toString());
      JsonArray groups = new JsonArray();
      groups.add("system:serviceaccounts");
      if (parts.length == 4) {
        groups.add("system:serviceaccounts:" + parts[2]);
      }
      groups.add("system:authenticated");
      user.add("groups", groups);
      status.addProperty("authenticated", true);
      status.add("user", user);
      JsonArray aud = new JsonArray();
      matching.forEach(aud::add);
      status.add("audiences", aud);
    } catch (GeneralSecurityException | RuntimeException e) {
      status.addProperty("authenticated", false);
      status.addProperty("error", "[invalid bearer token, " + e.getMessage() + "]");
    }
    JsonObject response = new JsonObject();
    response.addProperty("apiVersion", "authentication.k8s.io/v1");
    response.addProperty("kind", "TokenReview");
    response.add("metadata", new JsonObject());
    response.add("spec", spec);
    response.add("status", status);
    return response.toString();
  }

  private JsonObject verify(String token) throws GeneralSecurityException {
    String[] parts = token.split("\\.");
    if (parts.length != 3) {
      throw new GeneralSecurityException("not a JWT");
    }
    Signature verifier = Signature.getInstance("SHA256withECDSAinP1363Format");
    verifier.initVerify(key.getPublic());
    verifier.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
    if (!verifier.verify(Base64.getUrlDecoder().decode(parts[2]))) {
      throw new GeneralSecurityException("square/go-jose: error in cryptographic primitive");
    }
    return JsonParser.parseString(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8))
        .getAsJsonObject();
  }

  private static String b64(String json) {
    return B64URL.encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] coordinate(BigInteger value) {
    byte[] raw = value.toByteArray();
    byte[] out = new byte[32];
    int copy = Math.min(raw.length, 32);
    System.arraycopy(raw, raw.length - copy, out, 32 - copy, copy);
    return out;
  }
}
