package dev.gatehouse.ca.signer.vault;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.gatehouse.ca.pem.PemCodec;
import dev.gatehouse.ca.signer.upstream.UpstreamTestCa;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import tools.jackson.databind.json.JsonMapper;

/**
 * A Vault test server: the parts of Vault's HTTP API Gatehouse uses, over real HTTPS with JSON bodies and Vault's
 * response envelopes, with a real BouncyCastle CA ({@link UpstreamTestCa}) behind the PKI mount. It checks what a
 * real Vault checks: the {@code X-Vault-Token} header against the tokens it issued (TTL, max TTL, renewal,
 * revocation), the {@code X-Vault-Namespace} header when a namespace is configured, the login fields (Kubernetes
 * {@code role}/{@code jwt}, AppRole {@code role_id}/{@code secret_id}), the CSR's signature, and the role's rules
 * ({@code allowed_uri_sans} globs, {@code allowed_domains}, {@code require_cn}, {@code use_csr_sans},
 * {@code max_ttl} capping with a warning). The mount has issuers (Vault 1.11+: {@code LIST issuers},
 * {@code issuer/<ref>/json}, the default issuer signs), so a root rotation is a new issuer beside the old one. Errors use Vault's {@code {"errors":[...]}} shape and status codes.
 * Faults for tests: stop and restart on the same port, slow answers, forced 5xx, malformed or wrong answers.
 *
 * <p>Not Vault: one PKI mount, no policies beyond "a valid token may do everything", no storage.
 */
public final class VaultTestServer implements AutoCloseable {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final SecureRandom RANDOM = new SecureRandom();

  /** What the PKI endpoints answer, for the "unverifiable upstream answer" tests. */
  public enum Answer { CORRECT, GARBAGE_PEM, WRONG_SAN, WRONG_KEY, FOREIGN_CHAIN }

  /** A PKI role. */
  public record Role(List<String> allowedUriSans, List<String> allowedDomains, boolean requireCn, boolean useCsrSans,
      Duration maxTtl) {
    public static Role spiffe(String trustDomain) {
      return new Role(List.of("spiffe://" + trustDomain + "/*"), List.of(), false, false, Duration.ofDays(30));
    }
  }

  /** One request as received. */
  public record Received(String method, String path, String token, String namespace, Map<String, Object> body) {}

  private record Token(String id, Instant expiresAt, Instant maxExpiresAt, Duration ttl, boolean renewable) {}

  private final String mount;
  /** The mount's issuers by id, in creation order; {@link #defaultIssuer} signs. */
  private final Map<String, UpstreamTestCa> issuers = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
  private volatile String defaultIssuer;
  private volatile boolean issuerListing = true;
  private final Path caBundle;
  private final SSLContext tls;
  private final Map<String, Role> roles = new ConcurrentHashMap<>();
  private final Map<String, String> kubernetesRoles = new ConcurrentHashMap<>();
  private final Map<String, String> appRoles = new ConcurrentHashMap<>();
  private final Map<String, Token> tokens = new ConcurrentHashMap<>();
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final AtomicInteger logins = new AtomicInteger();
  private final AtomicInteger renewals = new AtomicInteger();
  private final AtomicInteger failNext = new AtomicInteger();
  private volatile int failStatus = 503;
  private volatile Duration delay = Duration.ZERO;
  private volatile Answer answer = Answer.CORRECT;
  private volatile String namespace = "";
  private volatile Duration tokenTtl = Duration.ofHours(1);
  private volatile Duration tokenMaxTtl = Duration.ofHours(24);
  private final String kubernetesMount = "kubernetes";
  private final String appRoleMount = "approle";
  private final int port;
  private HttpsServer server;
  private ExecutorService executor;

  private VaultTestServer(String mount, UpstreamTestCa ca, Path workDir) throws Exception {
    this.mount = mount;
    this.defaultIssuer = addIssuer(ca);
    KeyPair tlsCaKey = UpstreamTestCa.ec();
    X509Certificate tlsCa = tlsCertificate(tlsCaKey.getPublic(), "CN=vault test TLS CA", tlsCaKey, null, true);
    KeyPair serverKey = UpstreamTestCa.ec();
    X509Certificate serverCert = tlsCertificate(serverKey.getPublic(), "CN=vault", tlsCaKey, tlsCa, false);
    this.caBundle = Files.writeString(Files.createDirectories(workDir).resolve("vault-ca.pem"), PemCodec.encodeCertificate(tlsCa));
    KeyStore keyStore = KeyStore.getInstance("PKCS12");
    keyStore.load(null, null);
    keyStore.setKeyEntry("vault", serverKey.getPrivate(), new char[0], new X509Certificate[] {serverCert, tlsCa});
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(keyStore, new char[0]);
    tls = SSLContext.getInstance("TLS");
    tls.init(keys.getKeyManagers(), null, null);
    listen(0);
    this.port = server.getAddress().getPort();
  }

  /** Starts on an ephemeral loopback port with PKI at {@code mount}; the TLS CA bundle is written to {@code workDir}. */
  public static VaultTestServer start(String mount, UpstreamTestCa ca, Path workDir) throws Exception {
    return new VaultTestServer(mount, ca, workDir);
  }

  private void listen(int onPort) throws IOException {
    HttpsServer s = HttpsServer.create(new InetSocketAddress("127.0.0.1", onPort), 64);
    s.setHttpsConfigurator(new HttpsConfigurator(tls));
    s.createContext("/v1/", this::handle);
    executor = Executors.newFixedThreadPool(8, r -> {
      Thread t = new Thread(r, "vault-test-server");
      t.setDaemon(true);
      return t;
    });
    s.setExecutor(executor);
    s.start();
    server = s;
  }

  public URI address() {
    return URI.create("https://127.0.0.1:" + port);
  }

  /** PEM file of the CA that signed this server's TLS certificate (gatehouse.ca.vault.ca-bundle-file). */
  public Path caBundle() {
    return caBundle;
  }

  /** The default issuer's CA: what signs. */
  public UpstreamTestCa ca() {
    return issuers.get(defaultIssuer);
  }

  private String addIssuer(UpstreamTestCa ca) {
    String id = java.util.UUID.randomUUID().toString();
    issuers.put(id, ca);
    return id;
  }

  /**
   * A root rotation as Vault does it ({@code pki/root/rotate/internal}): a new issuer in the mount beside the old one;
   * it signs only once made the default ({@code pki/root/replace}). Returns the new issuer's id.
   */
  public String newIssuer(UpstreamTestCa ca, boolean makeDefault) {
    String id = addIssuer(ca);
    if (makeDefault) {
      defaultIssuer = id;
    }
    return id;
  }

  /** false: answers the issuer endpoints 404 "unsupported path", as Vault before 1.11. */
  public void issuerListing(boolean supported) {
    issuerListing = supported;
  }

  public String defaultIssuerId() {
    return defaultIssuer;
  }

  public void makeDefault(String issuerId) {
    if (!issuers.containsKey(issuerId)) {
      throw new IllegalArgumentException("no issuer " + issuerId);
    }
    defaultIssuer = issuerId;
  }

  /** {@code DELETE pki/issuer/<id>}: the issuer leaves the mount (and the trust bundle). */
  public void deleteIssuer(String issuerId) {
    if (issuerId.equals(defaultIssuer)) {
      throw new IllegalArgumentException("the default issuer cannot be deleted here");
    }
    issuers.remove(issuerId);
  }

  private UpstreamTestCa issuer(String ref) {
    return "default".equals(ref) ? ca() : issuers.get(ref);
  }

  public VaultTestServer role(String name, Role role) {
    roles.put(name, role);
    return this;
  }

  /** Kubernetes auth role {@code role} accepting exactly the service-account token {@code jwt}. */
  public VaultTestServer kubernetesRole(String role, String jwt) {
    kubernetesRoles.put(role, jwt);
    return this;
  }

  public VaultTestServer appRole(String roleId, String secretId) {
    appRoles.put(roleId, secretId);
    return this;
  }

  /** A token as an operator would create it ({@code vault token create}). */
  public String createToken(Duration ttl, boolean renewable) {
    return issue(ttl, renewable).id();
  }

  public VaultTestServer namespace(String required) {
    this.namespace = required;
    return this;
  }

  /** TTL and max TTL of tokens issued by logins. */
  public VaultTestServer tokenTtl(Duration ttl, Duration maxTtl) {
    this.tokenTtl = ttl;
    this.tokenMaxTtl = maxTtl;
    return this;
  }

  public void revokeAllTokens() {
    tokens.clear();
  }

  public void answer(Answer mode) {
    this.answer = mode;
  }

  public void delay(Duration d) {
    this.delay = d;
  }

  /** The next {@code count} requests fail with {@code status} (5xx: Vault sealed, standby, overloaded). */
  public void failNext(int count, int status) {
    failStatus = status;
    failNext.set(count);
  }

  /** Stops listening: connections are refused, as when Vault is down. */
  public synchronized void stop() {
    if (server != null) {
      server.stop(0);
      executor.shutdownNow();
      server = null;
    }
  }

  /** Listens again on the same port. */
  public synchronized void restart() throws IOException {
    if (server == null) {
      listen(port);
    }
  }

  public List<Received> received() {
    return List.copyOf(received);
  }

  public List<Received> received(String pathSuffix) {
    return received.stream().filter(r -> r.path().endsWith(pathSuffix)).toList();
  }

  public int logins() {
    return logins.get();
  }

  public int renewals() {
    return renewals.get();
  }

  @Override
  public void close() {
    stop();
  }

  private Token issue(Duration ttl, boolean renewable) {
    Instant now = Instant.now();
    Token token = new Token("hvs." + HexFormat.of().formatHex(bytes(12)), now.plus(ttl), now.plus(tokenMaxTtl), ttl, renewable);
    tokens.put(token.id(), token);
    return token;
  }

  private static byte[] bytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  @SuppressWarnings("unchecked")
  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath().substring("/v1/".length());
      byte[] raw = exchange.getRequestBody().readAllBytes();
      Map<String, Object> body = raw.length == 0 ? Map.of() : JSON.readValue(raw, Map.class);
      String token = exchange.getRequestHeaders().getFirst("X-Vault-Token");
      String ns = exchange.getRequestHeaders().getFirst("X-Vault-Namespace");
      received.add(new Received(exchange.getRequestMethod(), path, token, ns, body));
      if (!delay.isZero()) {
        Thread.sleep(delay.toMillis());
      }
      if (failNext.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
        error(exchange, failStatus, failStatus == 503 ? "Vault is sealed" : "internal error");
        return;
      }
      if (!namespace.isEmpty() && !namespace.equals(ns)) {
        // Without the header the request lands in the root namespace, where this mount and role do not exist.
        error(exchange, 403, "permission denied");
        return;
      }
      route(exchange, path, body, token);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      error(exchange, 500, "test server: " + e);
    }
  }

  private void route(HttpExchange exchange, String path, Map<String, Object> body, String tokenId) throws IOException {
    String method = exchange.getRequestMethod();
    if (method.equals("POST") && path.equals("auth/" + kubernetesMount + "/login")) {
      String role = string(body, "role");
      String expected = kubernetesRoles.get(role);
      if (expected == null) {
        error(exchange, 400, "invalid role name \"" + role + "\"");
      } else if (!expected.equals(string(body, "jwt"))) {
        error(exchange, 403, "permission denied");
      } else {
        login(exchange);
      }
      return;
    }
    if (method.equals("POST") && path.equals("auth/" + appRoleMount + "/login")) {
      String secret = appRoles.get(string(body, "role_id"));
      if (secret == null || !secret.equals(string(body, "secret_id"))) {
        error(exchange, 400, "invalid role or secret ID");
      } else {
        login(exchange);
      }
      return;
    }
    Token token = tokenId == null ? null : tokens.get(tokenId);
    if (token == null || !Instant.now().isBefore(token.expiresAt())) {
      if (token != null) {
        tokens.remove(tokenId);
      }
      error(exchange, 403, "permission denied");
      return;
    }
    if (path.equals("auth/token/lookup-self") && method.equals("GET")) {
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("id", token.id());
      data.put("accessor", "acc-" + token.id().hashCode());
      data.put("ttl", Math.max(0, Duration.between(Instant.now(), token.expiresAt()).toSeconds()));
      data.put("renewable", token.renewable());
      data.put("type", "service");
      data.put("policies", List.of("gatehouse"));
      ok(exchange, Map.of("data", data));
    } else if (path.equals("auth/token/renew-self") && method.equals("POST")) {
      if (!token.renewable()) {
        error(exchange, 400, "lease is not renewable");
        return;
      }
      renewals.incrementAndGet();
      Instant now = Instant.now();
      Instant expires = now.plus(token.ttl()).isAfter(token.maxExpiresAt()) ? token.maxExpiresAt() : now.plus(token.ttl());
      Token renewed = new Token(token.id(), expires, token.maxExpiresAt(), token.ttl(), token.renewable());
      tokens.put(token.id(), renewed);
      ok(exchange, Map.of("auth", auth(renewed)));
    } else if (path.equals("auth/token/revoke-self") && method.equals("POST")) {
      tokens.remove(token.id());
      exchange.sendResponseHeaders(204, -1);
    } else if (path.startsWith(mount + "/sign/") && method.equals("POST")) {
      sign(exchange, path.substring((mount + "/sign/").length()), body);
    } else if ((path.equals(mount + "/root/sign-intermediate") || path.matches(Pattern.quote(mount) + "/issuer/[^/]+/sign-intermediate"))
        && method.equals("POST")) {
      signIntermediate(exchange, body);
    } else if (path.equals(mount + "/cert/ca_chain") && method.equals("GET")) {
      String chain = PemCodec.encodeCertificates(ca().chain());
      ok(exchange, Map.of("data", Map.of("certificate", chain, "ca_chain", chain)));
    } else if (!issuerListing && (path.equals(mount + "/issuers") || path.startsWith(mount + "/issuer/"))) {
      error(exchange, 404, "unsupported path");
    } else if (path.equals(mount + "/issuers") && (method.equals("LIST")
        || method.equals("GET") && "list=true".equals(exchange.getRequestURI().getQuery()))) {
      Map<String, Object> keyInfo = new LinkedHashMap<>();
      List<String> keys;
      synchronized (issuers) {
        keys = List.copyOf(issuers.keySet());
      }
      for (String id : keys) {
        keyInfo.put(id, Map.of("issuer_name", "", "is_default", id.equals(defaultIssuer)));
      }
      ok(exchange, Map.of("data", Map.of("keys", keys, "key_info", keyInfo)));
    } else if (path.matches(Pattern.quote(mount) + "/issuer/[^/]+(/json)?") && method.equals("GET")) {
      String ref = path.substring((mount + "/issuer/").length()).replace("/json", "");
      UpstreamTestCa issuer = issuer(ref);
      if (issuer == null) {
        error(exchange, 500, "unable to find PKI issuer for reference: " + ref);
        return;
      }
      List<X509Certificate> chain = issuer.chain();
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("issuer_id", "default".equals(ref) ? defaultIssuer : ref);
      data.put("certificate", PemCodec.encodeCertificate(chain.get(0)).strip());
      data.put("ca_chain", chain.stream().map(c -> PemCodec.encodeCertificate(c).strip()).toList());
      ok(exchange, Map.of("data", data));
    } else {
      error(exchange, 404, "no handler for route \"" + path + "\"");
    }
  }

  private void login(HttpExchange exchange) throws IOException {
    logins.incrementAndGet();
    ok(exchange, Map.of("auth", auth(issue(tokenTtl, true))));
  }

  private static Map<String, Object> auth(Token token) {
    Map<String, Object> auth = new LinkedHashMap<>();
    auth.put("client_token", token.id());
    auth.put("accessor", "acc-" + token.id().hashCode());
    auth.put("policies", List.of("default", "gatehouse"));
    auth.put("token_policies", List.of("default", "gatehouse"));
    auth.put("lease_duration", Math.max(0, Duration.between(Instant.now(), token.expiresAt()).toSeconds()));
    auth.put("renewable", token.renewable());
    auth.put("token_type", "service");
    return auth;
  }

  private void sign(HttpExchange exchange, String roleName, Map<String, Object> body) throws IOException {
    Role role = roles.get(roleName);
    if (role == null) {
      error(exchange, 400, "unknown role: " + roleName);
      return;
    }
    PKCS10CertificationRequest csr = csr(exchange, body);
    if (csr == null) {
      return;
    }
    String commonName = string(body, "common_name");
    if (role.requireCn() && commonName.isEmpty()) {
      error(exchange, 400, "the common_name field is required, or must be provided in a CSR with \"use_csr_common_name\""
          + " set to true, unless \"require_cn\" is set to false");
      return;
    }
    List<String> uris = role.useCsrSans() ? csrSans(csr, GeneralName.uniformResourceIdentifier) : csv(string(body, "uri_sans"));
    List<String> dns = role.useCsrSans() ? csrSans(csr, GeneralName.dNSName) : csv(string(body, "alt_names"));
    for (String uri : uris) {
      if (role.allowedUriSans().stream().noneMatch(glob -> glob(glob, uri))) {
        error(exchange, 400, "URI Subject Alternative Names are not allowed in this role, but was provided " + uri);
        return;
      }
    }
    for (String name : dns) {
      if (!role.allowedDomains().contains(name)) {
        error(exchange, 400, "subject alternate name " + name + " not allowed by this role");
        return;
      }
    }
    List<String> warnings = new ArrayList<>();
    Duration ttl = ttl(string(body, "ttl"), Duration.ofHours(1));
    if (ttl.compareTo(role.maxTtl()) > 0) {
      warnings.add("TTL \"" + ttl + "\" is longer than permitted maxTTL \"" + role.maxTtl() + "\", so maxTTL is being used");
      ttl = role.maxTtl();
    }
    PublicKey key = publicKey(csr);
    UpstreamTestCa ca = ca();
    X509Certificate issued = switch (answer) {
      case WRONG_SAN -> ca.leaf(key, commonName, List.of("spiffe://cluster.local/ns/kube-system/sa/admin"), dns, ttl);
      case WRONG_KEY -> ca.leaf(UpstreamTestCa.ec().getPublic(), commonName, uris, dns, ttl);
      case FOREIGN_CHAIN -> UpstreamTestCa.foreignLeaf(key, uris);
      default -> ca.leaf(key, commonName, uris, dns, ttl);
    };
    respondIssued(exchange, issued, warnings);
  }

  private void signIntermediate(HttpExchange exchange, Map<String, Object> body) throws IOException {
    PKCS10CertificationRequest csr = csr(exchange, body);
    if (csr == null) {
      return;
    }
    String commonName = string(body, "common_name");
    if (commonName.isEmpty()) {
      error(exchange, 400, "the common_name field is required");
      return;
    }
    Object maxPath = body.get("max_path_length");
    int pathLength = maxPath == null ? -1 : Integer.parseInt(maxPath.toString());
    Duration ttl = ttl(string(body, "ttl"), Duration.ofDays(30));
    PublicKey key = answer == Answer.WRONG_KEY ? UpstreamTestCa.ec().getPublic() : publicKey(csr);
    X509Certificate issued = ca().intermediate(key, "CN=" + commonName, csv(string(body, "uri_sans")), ttl, pathLength);
    respondIssued(exchange, issued, List.of());
  }

  private void respondIssued(HttpExchange exchange, X509Certificate issued, List<String> warnings) throws IOException {
    List<X509Certificate> chain = ca().chain();
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("certificate", answer == Answer.GARBAGE_PEM
        ? "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"
        : PemCodec.encodeCertificate(issued).strip());
    data.put("issuing_ca", PemCodec.encodeCertificate(chain.get(0)).strip());
    data.put("ca_chain", chain.stream().map(c -> PemCodec.encodeCertificate(c).strip()).toList());
    data.put("serial_number", serial(issued.getSerialNumber()));
    data.put("expiration", issued.getNotAfter().toInstant().getEpochSecond());
    Map<String, Object> response = new LinkedHashMap<>();
    response.put("request_id", java.util.UUID.randomUUID().toString());
    response.put("lease_id", "");
    response.put("renewable", false);
    response.put("lease_duration", 0);
    response.put("data", data);
    response.put("warnings", warnings.isEmpty() ? null : warnings);
    ok(exchange, response);
  }

  private static String serial(BigInteger serial) {
    String hex = serial.toString(16);
    if (hex.length() % 2 == 1) {
      hex = "0" + hex;
    }
    return String.join(":", hex.split("(?<=\\G..)"));
  }

  private PKCS10CertificationRequest csr(HttpExchange exchange, Map<String, Object> body) throws IOException {
    String pem = string(body, "csr");
    if (pem.isEmpty()) {
      error(exchange, 400, "\"csr\" is empty");
      return null;
    }
    try {
      PKCS10CertificationRequest csr = PemCodec.decodeCertificationRequest(pem);
      if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(publicKey(csr)))) {
        error(exchange, 400, "certificate request could not be verified");
        return null;
      }
      return csr;
    } catch (Exception e) {
      error(exchange, 400, "certificate request could not be parsed: " + e.getMessage());
      return null;
    }
  }

  private static PublicKey publicKey(PKCS10CertificationRequest csr) {
    try {
      return new org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter().getPublicKey(csr.getSubjectPublicKeyInfo());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<String> csrSans(PKCS10CertificationRequest csr, int type) {
    List<String> out = new ArrayList<>();
    for (var attribute : csr.getAttributes(org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
      var extensions = org.bouncycastle.asn1.x509.Extensions.getInstance(attribute.getAttrValues().getObjectAt(0));
      GeneralNames names = GeneralNames.fromExtensions(extensions, Extension.subjectAlternativeName);
      if (names != null) {
        for (GeneralName name : names.getNames()) {
          if (name.getTagNo() == type) {
            out.add(name.getName().toString());
          }
        }
      }
    }
    return out;
  }

  private static boolean glob(String glob, String value) {
    return Pattern.compile(Pattern.quote(glob).replace("*", "\\E.*\\Q")).matcher(value).matches();
  }

  private static List<String> csv(String value) {
    List<String> out = new ArrayList<>();
    for (String part : value.split(",")) {
      if (!part.isBlank()) {
        out.add(part.trim());
      }
    }
    return out;
  }

  private static Duration ttl(String value, Duration otherwise) {
    if (value.isEmpty()) {
      return otherwise;
    }
    if (value.endsWith("s")) {
      return Duration.ofSeconds(Long.parseLong(value.substring(0, value.length() - 1)));
    }
    if (value.endsWith("h")) {
      return Duration.ofHours(Long.parseLong(value.substring(0, value.length() - 1)));
    }
    return Duration.ofSeconds(Long.parseLong(value));
  }

  private static String string(Map<String, Object> body, String key) {
    Object value = body.get(key);
    return value == null ? "" : value.toString();
  }

  private static void ok(HttpExchange exchange, Map<String, Object> response) throws IOException {
    send(exchange, 200, JSON.writeValueAsBytes(response));
  }

  private static void error(HttpExchange exchange, int status, String message) {
    try {
      send(exchange, status, JSON.writeValueAsBytes(Map.of("errors", List.of(message))));
    } catch (IOException ignored) {
      // the client went away (timeout tests)
    }
  }

  private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  private static X509Certificate tlsCertificate(PublicKey key, String subject, KeyPair signer, X509Certificate signerCert,
      boolean ca) throws Exception {
    Instant now = Instant.now();
    X500Name subjectName = new X500Name(subject);
    var builder = new JcaX509v3CertificateBuilder(
        signerCert == null ? subjectName : X500Name.getInstance(signerCert.getSubjectX500Principal().getEncoded()),
        new BigInteger(64, RANDOM).add(BigInteger.ONE), Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(2))),
        subjectName, key);
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
    if (!ca) {
      builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
          new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName, "localhost")}));
    }
    return new JcaX509CertificateConverter().getCertificate(
        builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())));
  }
}
