package dev.gatehouse.ca.signer.vault;

import dev.gatehouse.ca.pem.PemCodec;
import dev.gatehouse.ca.signer.SigningRequest;
import dev.gatehouse.ca.signer.upstream.UpstreamAuthority;
import dev.gatehouse.ca.signer.upstream.UpstreamException;
import dev.gatehouse.ca.signer.upstream.UpstreamException.Kind;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.FileSystemResource;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.client.ClientHttpRequestFactory;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;
import org.springframework.vault.VaultException;
import org.springframework.vault.authentication.AppRoleAuthentication;
import org.springframework.vault.authentication.AppRoleAuthenticationOptions;
import org.springframework.vault.authentication.AuthenticationStepsExecutor;
import org.springframework.vault.authentication.ClientAuthentication;
import org.springframework.vault.authentication.KubernetesAuthentication;
import org.springframework.vault.authentication.KubernetesAuthenticationOptions;
import org.springframework.vault.authentication.LifecycleAwareSessionManagerSupport;
import org.springframework.vault.authentication.TokenAuthentication;
import org.springframework.vault.client.ClientHttpRequestFactoryFactory;
import org.springframework.vault.client.RestTemplateBuilder;
import org.springframework.vault.client.VaultEndpoint;
import org.springframework.vault.client.VaultHttpHeaders;
import org.springframework.vault.support.ClientOptions;
import org.springframework.vault.support.SslConfiguration;
import org.springframework.vault.support.VaultToken;
import org.springframework.web.client.HttpClientErrorException;
import org.springframework.web.client.HttpServerErrorException;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.client.RestClientException;
import org.springframework.web.client.RestClientResponseException;
import org.springframework.web.client.RestTemplate;

/**
 * Vault PKI as an upstream CA, on Spring Vault: Spring Vault owns the HTTP client with the configured CA bundle and
 * timeouts, the Enterprise namespace header (on logins too), the login (token with lookup-self, Kubernetes,
 * AppRole) and the token's life (renewal before expiry, a new login when renewal fails). This class owns the PKI
 * calls: {@code POST <mount>/sign/<role>} with the workload's CSR and its SPIFFE ID as {@code uri_sans},
 * {@code POST <mount>/<intermediate-path>} for Gatehouse's intermediate, the roots of the mount's issuers for the
 * trust bundle; bounded retries with exponential back-off on connection errors, timeouts, 429 and 5xx; one new login after
 * a 403; and 4xx turned into an error naming the path and role. Thread-safe.
 */
public final class VaultPkiAuthority implements UpstreamAuthority {
  private static final Logger log = LoggerFactory.getLogger(VaultPkiAuthority.class);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(2);

  private final VaultSettings settings;
  private final Clock clock;
  private final RestTemplate rest;
  private final ThreadPoolTaskScheduler scheduler;
  private final VaultSession session;

  public VaultPkiAuthority(VaultSettings settings, Clock clock) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.clock = Objects.requireNonNull(clock, "clock");
    SslConfiguration ssl = settings.caBundle() == null
        ? SslConfiguration.unconfigured()
        : SslConfiguration.forTrustStore(SslConfiguration.KeyStoreConfiguration.of(
            new FileSystemResource(settings.caBundle()), null, SslConfiguration.PEM_KEYSTORE_TYPE));
    ClientHttpRequestFactory requests = ClientHttpRequestFactoryFactory.create(
        new ClientOptions(settings.connectTimeout(), settings.readTimeout()), ssl);
    if (requests instanceof JdkClientHttpRequestFactory jdk) {
      // Spring Vault passes only the connect timeout to the JDK client; without this a hung Vault hangs the CSR.
      jdk.setReadTimeout(settings.readTimeout());
    }
    RestTemplateBuilder builder = RestTemplateBuilder.builder()
        .endpoint(VaultEndpoint.from(settings.address()))
        .requestFactory(requests);
    if (!settings.namespace().isEmpty()) {
      builder = builder.defaultHeader(VaultHttpHeaders.VAULT_NAMESPACE, settings.namespace());
    }
    this.rest = builder.build();
    this.scheduler = new ThreadPoolTaskScheduler();
    scheduler.setThreadNamePrefix("gatehouse-vault-token-");
    scheduler.setDaemon(true);
    scheduler.initialize();
    this.session = new VaultSession(authentication(settings.auth(), rest), scheduler, rest,
        new LifecycleAwareSessionManagerSupport.FixedTimeoutRefreshTrigger(settings.tokenRenewBefore(),
            settings.tokenRenewBefore()));
  }

  private static ClientAuthentication authentication(VaultSettings.Auth auth, RestTemplate rest) {
    if (auth instanceof VaultSettings.TokenAuth token) {
      return () -> new AuthenticationStepsExecutor(
          TokenAuthentication.createAuthenticationSteps(VaultToken.of(tokenValue(token)), true), rest).login();
    }
    if (auth instanceof VaultSettings.KubernetesAuth kubernetes) {
      return new KubernetesAuthentication(KubernetesAuthenticationOptions.builder()
          .path(kubernetes.mount()).role(kubernetes.role())
          .jwtSupplier(() -> read(kubernetes.tokenFile(), "service-account token"))
          .build(), rest);
    }
    VaultSettings.AppRoleAuth appRole = (VaultSettings.AppRoleAuth) auth;
    return () -> new AppRoleAuthentication(AppRoleAuthenticationOptions.builder()
        .path(appRole.mount())
        .roleId(AppRoleAuthenticationOptions.RoleId.provided(appRole.roleId()))
        .secretId(appRole.secretIdFile() == null
            ? AppRoleAuthenticationOptions.SecretId.absent()
            : AppRoleAuthenticationOptions.SecretId.provided(read(appRole.secretIdFile(), "AppRole secret id")))
        .build(), rest).login();
  }

  private static String tokenValue(VaultSettings.TokenAuth token) {
    if (token.tokenFile() != null) {
      return read(token.tokenFile(), "Vault token");
    }
    if (token.token() == null || token.token().isBlank()) {
      throw new VaultException("no Vault token configured (gatehouse.ca.vault.auth.token-file)");
    }
    return token.token().trim();
  }

  private static String read(Path file, String what) {
    try {
      String value = Files.readString(file, StandardCharsets.UTF_8).trim();
      if (value.isEmpty()) {
        throw new VaultException(what + " file " + file + " is empty");
      }
      return value;
    } catch (IOException e) {
      throw new VaultException("cannot read " + what + " file " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String name() {
    return "vault-pki";
  }

  @Override
  public String describe() {
    return "Vault " + settings.address() + (settings.namespace().isEmpty() ? "" : " namespace " + settings.namespace())
        + " mount " + settings.mount();
  }

  @Override
  public UpstreamChain signLeaf(SigningRequest request) throws UpstreamException {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("csr", pem(request.csr()));
    body.put("uri_sans", request.identity().toString());
    if (!request.dnsNames().isEmpty()) {
      body.put("alt_names", String.join(",", request.dnsNames()));
    }
    body.put("ttl", request.ttl().toSeconds() + "s");
    body.put("format", "pem");
    body.put("exclude_cn_from_sans", true);
    String path = settings.mount() + "/sign/" + settings.role();
    Map<String, Object> data = call(HttpMethod.POST, path, body, "role " + settings.role());
    return chain(data, path);
  }

  @Override
  public UpstreamChain signIntermediate(PKCS10CertificationRequest csr, Duration ttl) throws UpstreamException {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("csr", pem(csr));
    body.put("common_name", commonName(csr));
    body.put("uri_sans", uriSan(csr));
    body.put("ttl", ttl.toSeconds() + "s");
    body.put("format", "pem");
    // Gatehouse signs leaves only: an intermediate that cannot sign further CAs limits what a stolen key can do.
    body.put("max_path_length", 0);
    body.put("use_csr_values", false);
    body.put("exclude_cn_from_sans", true);
    String path = settings.mount() + "/" + settings.intermediatePath();
    Map<String, Object> data = call(HttpMethod.POST, path, body, "intermediate signing");
    return chain(data, path);
  }

  /**
   * The roots of every issuer in the mount ({@code LIST <mount>/issuers}, then {@code <mount>/issuer/<id>/json}):
   * Vault rotates a mount's root by adding an issuer next to the old one, so trusting all of them is what lets
   * leaves from the old and the new issuer meet during a rotation. A Vault without multiple issuers (before 1.11, or a
   * policy that does not allow the list) falls back to the default issuer's {@code <mount>/cert/ca_chain}.
   */
  @Override
  public List<X509Certificate> fetchRoots() throws UpstreamException {
    String list = settings.mount() + "/issuers";
    Map<String, Object> issuers = callOrNull(HttpMethod.GET, list + "?list=true", null, "issuer list");
    List<X509Certificate> certificates = new ArrayList<>();
    String source;
    if (issuers != null && issuers.get("keys") instanceof List<?> keys && !keys.isEmpty()) {
      for (Object key : keys) {
        String path = settings.mount() + "/issuer/" + key + "/json";
        Map<String, Object> issuer = call(HttpMethod.GET, path, null, "issuer " + key);
        Object chain = issuer.get("ca_chain");
        addNew(certificates, certificates(chain == null ? issuer.get("certificate") : chain, path, "ca_chain"));
      }
      source = list;
    } else {
      source = settings.mount() + "/cert/ca_chain";
      Map<String, Object> data = call(HttpMethod.GET, source, null, "CA chain");
      Object chain = data.get("ca_chain");
      if (chain == null || chain.toString().isBlank()) {
        chain = data.get("certificate");
      }
      certificates.addAll(certificates(chain, source, "ca_chain"));
    }
    List<X509Certificate> roots = new ArrayList<>();
    for (X509Certificate c : certificates) {
      if (selfSigned(c)) {
        roots.add(c);
      }
    }
    if (roots.isEmpty()) {
      // A mount whose chain stops below the root (the root was never imported): its top certificate is the anchor.
      X509Certificate top = certificates.get(certificates.size() - 1);
      log.warn("{} returned no self-signed root; trusting its top certificate {} as the anchor", source,
          top.getSubjectX500Principal().getName());
      roots.add(top);
    }
    return roots;
  }

  private static void addNew(List<X509Certificate> to, List<X509Certificate> certificates) {
    for (X509Certificate c : certificates) {
      if (!to.contains(c)) {
        to.add(c);
      }
    }
  }

  private UpstreamChain chain(Map<String, Object> data, String path) throws UpstreamException {
    List<X509Certificate> chain = new ArrayList<>(certificates(data.get("certificate"), path, "certificate"));
    Object caChain = data.get("ca_chain");
    if (caChain != null) {
      for (X509Certificate c : certificates(caChain, path, "ca_chain")) {
        if (!chain.contains(c)) {
          chain.add(c);
        }
      }
    } else if (data.get("issuing_ca") != null) {
      for (X509Certificate c : certificates(data.get("issuing_ca"), path, "issuing_ca")) {
        if (!chain.contains(c)) {
          chain.add(c);
        }
      }
    }
    return new UpstreamChain(chain, List.of());
  }

  private static List<X509Certificate> certificates(Object value, String path, String field) throws UpstreamException {
    if (value == null) {
      throw new UpstreamException(Kind.INVALID_ANSWER, "Vault " + path + " answered without " + field);
    }
    StringBuilder pem = new StringBuilder();
    if (value instanceof List<?> list) {
      list.forEach(item -> pem.append(item).append('\n'));
    } else {
      pem.append(value);
    }
    try {
      List<X509Certificate> certificates = PemCodec.decodeCertificates(pem.toString());
      if (certificates.isEmpty()) {
        throw new UpstreamException(Kind.INVALID_ANSWER, "Vault " + path + " answered an empty " + field);
      }
      return certificates;
    } catch (PemCodec.PemException e) {
      throw new UpstreamException(Kind.INVALID_ANSWER, "Vault " + path + " answered a " + field
          + " that is not PEM certificates: " + e.getMessage());
    }
  }

  /**
   * One Vault call with the session token, retried with back-off on connection errors, timeouts, 429 and 5xx while
   * attempts and the deadline allow; a 403 drops the token and logs in again once.
   */
  Map<String, Object> call(HttpMethod method, String path, Map<String, Object> body, String purpose)
      throws UpstreamException {
    return call(method, path, body, purpose, false);
  }

  /** As {@link #call}, but a 404 (Vault's answer to a LIST with no entries, or an unknown path) is null. */
  private Map<String, Object> callOrNull(HttpMethod method, String path, Map<String, Object> body, String purpose)
      throws UpstreamException {
    return call(method, path, body, purpose, true);
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> call(HttpMethod method, String path, Map<String, Object> body, String purpose,
      boolean notFoundIsNull) throws UpstreamException {
    String what = method + " /v1/" + path + " (" + purpose + ")";
    Instant deadline = clock.instant().plus(settings.deadline());
    Duration backoff = settings.backoff();
    boolean loggedInAgain = false;
    for (int attempt = 1; ; attempt++) {
      UpstreamException failure;
      try {
        HttpHeaders headers = new HttpHeaders();
        headers.set(VaultHttpHeaders.VAULT_TOKEN, session.getSessionToken().getToken());
        headers.setContentType(MediaType.APPLICATION_JSON);
        ResponseEntity<Map> response = rest.exchange(path, method, new HttpEntity<>(body, headers), Map.class);
        Map<String, Object> answer = response.getBody();
        if (answer == null || !(answer.get("data") instanceof Map<?, ?> data)) {
          throw new UpstreamException(Kind.INVALID_ANSWER, "Vault " + what + " answered without a data object");
        }
        return (Map<String, Object>) data;
      } catch (HttpClientErrorException e) {
        int status = e.getStatusCode().value();
        if (status == 403 && !loggedInAgain) {
          loggedInAgain = true;
          log.info("Vault refused the token on {} (403); logging in again ({})", what, settings.auth().describe());
          session.forgetToken();
          attempt--;
          continue;
        }
        if (status == 404 && notFoundIsNull) {
          return null;
        }
        if (status != 429) {
          throw new UpstreamException(Kind.REFUSED, "Vault refused " + what + ": " + status + " " + errors(e));
        }
        failure = new UpstreamException(Kind.UNAVAILABLE, "Vault rate-limited " + what + " (429)");
      } catch (HttpServerErrorException e) {
        failure = new UpstreamException(Kind.UNAVAILABLE, "Vault failed " + what + ": " + e.getStatusCode().value()
            + " " + errors(e));
      } catch (ResourceAccessException e) {
        failure = new UpstreamException(Kind.UNAVAILABLE, "Vault unreachable for " + what + ": " + rootMessage(e), e);
      } catch (VaultException e) {
        // Login (Spring Vault wraps the HTTP error): unreachable Vault is transient, a refused login is not.
        if (transientCause(e)) {
          failure = new UpstreamException(Kind.UNAVAILABLE, "Vault login unreachable (" + settings.auth().describe()
              + ") before " + what + ": " + rootMessage(e), e);
        } else {
          throw new UpstreamException(Kind.REFUSED, "Vault login failed (" + settings.auth().describe() + ") before "
              + what + ": " + e.getMessage(), e);
        }
      } catch (RestClientException e) {
        throw new UpstreamException(Kind.INVALID_ANSWER, "Vault answered " + what + " with something unreadable: "
            + rootMessage(e), e);
      }
      Instant now = clock.instant();
      if (attempt >= settings.maxAttempts() || now.plus(backoff).isAfter(deadline)) {
        throw new UpstreamException(failure.kind(), failure.getMessage() + " (after " + attempt + " attempt"
            + (attempt == 1 ? "" : "s") + ")", failure.getCause());
      }
      log.debug("{}; retrying in {}", failure.getMessage(), backoff);
      sleep(backoff);
      backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
    }
  }

  private static boolean transientCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ResourceAccessException || t instanceof HttpServerErrorException || t instanceof IOException) {
        return true;
      }
      if (t instanceof HttpClientErrorException c) {
        return c.getStatusCode().value() == 429;
      }
    }
    return false;
  }

  private static String errors(RestClientResponseException e) {
    String body = e.getResponseBodyAsString();
    return body == null || body.isBlank() ? e.getStatusText() : body.strip();
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
  }

  private static void sleep(Duration duration) throws UpstreamException {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UpstreamException(Kind.UNAVAILABLE, "interrupted while waiting to retry Vault");
    }
  }

  private static String pem(PKCS10CertificationRequest csr) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(csr);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  private static String commonName(PKCS10CertificationRequest csr) {
    var cn = csr.getSubject().getRDNs(org.bouncycastle.asn1.x500.style.BCStyle.CN);
    return cn.length == 0 ? "Gatehouse intermediate" : cn[0].getFirst().getValue().toString();
  }

  private static String uriSan(PKCS10CertificationRequest csr) {
    var o = csr.getSubject().getRDNs(org.bouncycastle.asn1.x500.style.BCStyle.O);
    return o.length == 0 ? "" : "spiffe://" + o[0].getFirst().getValue();
  }

  private static boolean selfSigned(X509Certificate certificate) {
    if (!certificate.getSubjectX500Principal().equals(certificate.getIssuerX500Principal())) {
      return false;
    }
    try {
      certificate.verify(certificate.getPublicKey());
      return true;
    } catch (java.security.GeneralSecurityException e) {
      return false;
    }
  }

  @Override
  public void close() {
    scheduler.shutdown();
  }
}
