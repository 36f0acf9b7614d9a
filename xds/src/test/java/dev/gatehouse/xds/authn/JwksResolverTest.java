package dev.gatehouse.xds.authn;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** JwksResolver against a loopback HTTP key server, with the real HttpClient fetcher and shortened timings. */
class JwksResolverTest {
  private static final String KEYS_1 = "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"one\",\"e\":\"AQAB\",\"n\":\"AQAB\"}]}";
  private static final String KEYS_2 = "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"two\",\"e\":\"AQAB\",\"n\":\"AQAB\"}]}";
  private static final JwksResolver.Timings FAST =
      new JwksResolver.Timings(Duration.ofSeconds(2), Duration.ofMillis(300), Duration.ofMillis(200), Duration.ofMillis(20));

  private HttpServer server;
  private final AtomicReference<String> body = new AtomicReference<>(KEYS_1);
  private final AtomicInteger status = new AtomicInteger(200);
  private final AtomicInteger requests = new AtomicInteger();
  private final List<JwksSnapshot> published = new CopyOnWriteArrayList<>();
  private String uri;

  @BeforeEach
  void startKeyServer() throws Exception {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/keys", exchange -> {
      requests.incrementAndGet();
      byte[] b = body.get().getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(status.get(), b.length);
      exchange.getResponseBody().write(b);
      exchange.close();
    });
    server.start();
    uri = "http://127.0.0.1:" + server.getAddress().getPort() + "/keys";
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 10 s");
      }
      Thread.sleep(10);
    }
  }

  @Test
  void fetchesInlinesAndRefreshes() throws Exception {
    try (JwksResolver resolver = new JwksResolver(JwksResolver.httpFetcher(), FAST, published::add)) {
      resolver.track(Set.of(uri));
      await(() -> resolver.snapshot().keySet(uri).isPresent());
      assertThat(resolver.snapshot().keySet(uri)).contains(KEYS_1);
      body.set(KEYS_2);
      await(() -> resolver.snapshot().keySet(uri).filter(KEYS_2::equals).isPresent());
      assertThat(published).hasSizeGreaterThanOrEqualTo(2);
    }
  }

  @Test
  void neverFetchedUriStaysAbsentAndIsRetriedQuickly() throws Exception {
    status.set(503);
    try (JwksResolver resolver = new JwksResolver(JwksResolver.httpFetcher(), FAST, published::add)) {
      resolver.track(Set.of(uri));
      await(() -> requests.get() >= 3); // 0 ms, then 20 ms, 40 ms ...: well before the 200 ms retry cap
      assertThat(resolver.snapshot().keySet(uri)).isEmpty();
      assertThat(published).isEmpty();
      status.set(200);
      await(() -> resolver.snapshot().keySet(uri).isPresent());
      assertThat(published).hasSize(1);
    }
  }

  @Test
  void failedRefreshKeepsTheLastGoodKeySet() throws Exception {
    try (JwksResolver resolver = new JwksResolver(JwksResolver.httpFetcher(), FAST, published::add)) {
      resolver.track(Set.of(uri));
      await(() -> resolver.snapshot().keySet(uri).isPresent());
      int before = requests.get();
      status.set(500);
      await(() -> requests.get() >= before + 2);
      assertThat(resolver.snapshot().keySet(uri)).contains(KEYS_1);
    }
  }

  @Test
  void aResponseThatIsNotAKeySetIsAFailure() throws Exception {
    body.set("<html>login</html>");
    try (JwksResolver resolver = new JwksResolver(JwksResolver.httpFetcher(), FAST, published::add)) {
      resolver.track(Set.of(uri));
      await(() -> requests.get() >= 2);
      assertThat(resolver.snapshot().keySet(uri)).isEmpty();
    }
  }

  @Test
  void untrackedUrisAreDropped() throws Exception {
    try (JwksResolver resolver = new JwksResolver(JwksResolver.httpFetcher(), FAST, published::add)) {
      resolver.track(Set.of(uri));
      await(() -> resolver.snapshot().keySet(uri).isPresent());
      resolver.track(Set.of());
      await(() -> resolver.snapshot().keySets().isEmpty());
    }
  }

  @Test
  void onlyHttpUrisAreFetched() throws Exception {
    List<String> fetched = new CopyOnWriteArrayList<>();
    JwksResolver.JwksFetcher fetcher = (u, timeout) -> {
      fetched.add(u.toString());
      return KEYS_1;
    };
    try (JwksResolver resolver = new JwksResolver(fetcher, FAST, published::add)) {
      resolver.track(Set.of("file:///etc/passwd", "jar:file:/x.jar!/keys", "https:///no-host", uri));
      await(() -> resolver.snapshot().keySet(uri).isPresent());
      assertThat(fetched).containsOnly(uri);
      assertThat(resolver.snapshot().keySets()).containsOnlyKeys(uri);
    }
  }

  @Test
  void injectableFetcherSeesTheConfiguredTimeout() throws Exception {
    AtomicReference<Duration> seen = new AtomicReference<>();
    JwksResolver.JwksFetcher fetcher = (u, timeout) -> {
      seen.set(timeout);
      return KEYS_1;
    };
    try (JwksResolver resolver = new JwksResolver(fetcher, JwksResolver.Timings.ISTIO, published::add)) {
      resolver.track(Set.of("https://keys.example/jwks"));
      await(() -> resolver.snapshot().keySet("https://keys.example/jwks").isPresent());
      assertThat(seen.get()).isEqualTo(Duration.ofSeconds(5));
    }
  }
}
