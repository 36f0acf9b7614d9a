package dev.gatehouse.it.cluster;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
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
 * <p>Tokens are signed and checked with Nimbus JOSE+JWT directly, never through Gatehouse's own token code, so this
 * stand-in for kube-apiserver stays independent of what it tests.
 *
 * <p>Thread-safe: the key is immutable; the review counter is atomic.
 */
public final class ServiceAccountTokenIssuer {
  public static final String ISSUER = "https://kubernetes.default.svc.cluster.local";
  public static final String API_SERVER_AUDIENCE = ISSUER;
  public static final String TOKEN_REVIEWS = "/apis/authentication.k8s.io/v1/tokenreviews";

  private final ECKey key;
  private final AtomicInteger reviews = new AtomicInteger();
  private volatile java.time.Duration reviewDelay = java.time.Duration.ZERO;

  public ServiceAccountTokenIssuer() throws GeneralSecurityException {
    try {
      this.key = new ECKeyGenerator(Curve.P_256).keyID(UUID.randomUUID().toString()).keyUse(KeyUse.SIGNATURE)
          .algorithm(JWSAlgorithm.ES256).generate();
    } catch (JOSEException e) {
      throw new GeneralSecurityException(e);
    }
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
    String uid = UUID.nameUUIDFromBytes((namespace + "/" + serviceAccount).getBytes(StandardCharsets.UTF_8)).toString();
    JWTClaimsSet claims = new JWTClaimsSet.Builder()
        .issuer(ISSUER)
        .subject("system:serviceaccount:" + namespace + ":" + serviceAccount)
        .audience(audiences)
        .issueTime(Date.from(now))
        .notBeforeTime(Date.from(now))
        .expirationTime(Date.from(now.plus(ttl)))
        .claim("kubernetes.io", Map.of("namespace", namespace, "serviceaccount", Map.of("name", serviceAccount, "uid", uid)))
        .build();
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).build(), claims);
    try {
      jwt.sign(new ECDSASigner(key));
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
    return jwt.serialize();
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
    return new JWKSet(key.toPublicJWK()).toString();
  }

  /** kube-apiserver's answer to one TokenReview. */
  /** Makes every TokenReview answer take {@code delay} (a slow API server), so a CSR can be caught in flight. */
  public void delayReviews(java.time.Duration delay) {
    reviewDelay = delay;
  }

  String review(String body) {
    reviews.incrementAndGet();
    if (!reviewDelay.isZero()) {
      try {
        Thread.sleep(reviewDelay.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
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
      JWTClaimsSet claims = verify(token);
      List<String> tokenAudiences = claims.getAudience();
      List<String> matching = new ArrayList<>(wanted);
      matching.retainAll(tokenAudiences);
      if (matching.isEmpty()) {
        throw new GeneralSecurityException("token audiences " + tokenAudiences + " is invalid for the target audiences " + wanted);
      }
      Instant now = Instant.now();
      if (claims.getExpirationTime() == null || !now.isBefore(claims.getExpirationTime().toInstant())) {
        throw new GeneralSecurityException("token has expired");
      }
      if (claims.getNotBeforeTime() != null && now.isBefore(claims.getNotBeforeTime().toInstant())) {
        throw new GeneralSecurityException("token is not valid yet");
      }
      String sub = claims.getSubject();
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

  /** The issuer's signature check: ES256 with this issuer's one key (kube-apiserver's go-jose wording on failure). */
  private JWTClaimsSet verify(String token) throws GeneralSecurityException {
    try {
      SignedJWT jwt = SignedJWT.parse(token);
      if (!JWSAlgorithm.ES256.equals(jwt.getHeader().getAlgorithm())
          || !jwt.verify(new ECDSAVerifier(key.toPublicJWK()))) {
        throw new GeneralSecurityException("square/go-jose: error in cryptographic primitive");
      }
      return jwt.getJWTClaimsSet();
    } catch (ParseException e) {
      throw new GeneralSecurityException("not a JWT", e);
    } catch (JOSEException e) {
      throw new GeneralSecurityException(e.getMessage(), e);
    }
  }
}
