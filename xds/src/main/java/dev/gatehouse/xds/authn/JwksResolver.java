package dev.gatehouse.xds.authn;

import dev.gatehouse.api.istio.security.v1beta1.JWTRule;
import dev.gatehouse.api.istio.security.v1beta1.RequestAuthentication;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.Policy;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches the key sets of {@code jwksUri}s so the pure translator can inline them (Istio's JwksResolver, istiod
 * side). The only owner of this I/O: one single-threaded scheduler.
 *
 * <ul>
 *   <li>Fetch timeout 5 s; refresh every 20 min after a success (Istio PILOT_JWT_PUB_KEY_REFRESH_INTERVAL).
 *   <li>After a failure, a URI that has worked before keeps its last good key set and is retried after 1 min
 *       (Istio). A URI that has never been fetched is retried sooner, 1 s doubling up to 1 min, so a key server
 *       that was briefly down while Gatehouse started does not reject tokens for minutes (istio/istio#27097,
 *       #37456, #53260).
 *   <li>Until a URI has been fetched once, it is absent from {@link #snapshot()}, and the translator inlines
 *       {@link FailClosedJwks}: tokens from that issuer are rejected (fail closed).
 *   <li>A response that is not a usable JWKS counts as a failure (Envoy would reject the whole listener).
 *   <li>Only http(s) URIs are fetched. A failure is logged (WARN, with the URI and the reason) when a URI starts
 *       failing, and once more (INFO) when it works again; retries in between log at DEBUG.
 * </ul>
 *
 * <p>{@code onChange} is called on the scheduler thread with the new snapshot whenever a key set changes; the
 * caller then re-translates and pushes. Thread-safe: {@link #track} and {@link #snapshot} may be called from any
 * thread; state is confined to concurrent maps and a volatile snapshot.
 */
public final class JwksResolver implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(JwksResolver.class);

  /** Fetches one key set document. Throws on any failure, including a non-200 status. */
  @FunctionalInterface
  public interface JwksFetcher {
    String fetch(URI uri, Duration timeout) throws IOException, InterruptedException;
  }

  /**
   * Timings.
   *
   * @param fetchTimeout per request (Istio: 5 s)
   * @param refreshInterval after a success (Istio: 20 min)
   * @param retryAfterFailure after a failure once a key set is known, and the cap of the first-fetch backoff (1 min)
   * @param firstRetry first retry delay while a URI has never been fetched (doubles up to retryAfterFailure)
   */
  public record Timings(Duration fetchTimeout, Duration refreshInterval, Duration retryAfterFailure, Duration firstRetry) {
    public static final Timings ISTIO =
        new Timings(Duration.ofSeconds(5), Duration.ofMinutes(20), Duration.ofMinutes(1), Duration.ofSeconds(1));

    public Timings {
      Objects.requireNonNull(fetchTimeout);
      Objects.requireNonNull(refreshInterval);
      Objects.requireNonNull(retryAfterFailure);
      Objects.requireNonNull(firstRetry);
    }
  }

  private final JwksFetcher fetcher;
  private final Timings timings;
  private final Consumer<JwksSnapshot> onChange;
  private final ScheduledExecutorService scheduler;
  private final Map<String, Entry> entries = new ConcurrentHashMap<>();
  private volatile JwksSnapshot snapshot = JwksSnapshot.EMPTY;

  /** State of one URI; fetch results are written on the scheduler thread; {@code next} under the entry's lock. */
  private static final class Entry {
    volatile String keySet;
    /** Null while the last fetch succeeded (or none ran yet); the reason of the failure that is being retried. */
    volatile String failure;
    volatile Duration nextFirstRetry;
    volatile ScheduledFuture<?> next;
    volatile boolean cancelled;
  }

  public JwksResolver(JwksFetcher fetcher, Timings timings, Consumer<JwksSnapshot> onChange) {
    this.fetcher = Objects.requireNonNull(fetcher, "fetcher");
    this.timings = Objects.requireNonNull(timings, "timings");
    this.onChange = Objects.requireNonNull(onChange, "onChange");
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "gatehouse-jwks-resolver");
          t.setDaemon(true);
          return t;
        });
  }

  /** A fetcher over {@link HttpClient}: GET, 200 required, body returned as is. */
  public static JwksFetcher httpFetcher() {
    HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
    return (uri, timeout) -> {
      HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).header("Accept", "application/json").GET().build();
      HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IOException("GET " + uri + ": HTTP " + response.statusCode());
      }
      return response.body();
    };
  }

  /**
   * Every {@code jwksUri} of the snapshot's RequestAuthentications that Gatehouse would fetch (http or https with a
   * host; rules with inline {@code jwks} need no fetch), sorted. Other URIs make their policy invalid in translation.
   */
  public static Set<String> jwksUris(MeshSnapshot mesh) {
    Set<String> uris = new TreeSet<>();
    for (Policy<RequestAuthentication> p : mesh.requestAuthentications()) {
      for (JWTRule r : p.spec().getJwtRulesList()) {
        if (!r.getJwksUri().isEmpty() && r.getJwks().isEmpty() && fetchable(r.getJwksUri())) {
          uris.add(r.getJwksUri());
        }
      }
    }
    return uris;
  }

  /** http or https with a host: the only URIs fetched (no file:, jar: or other schemes the JDK could open). */
  public static boolean fetchable(String uri) {
    try {
      URI u = new URI(uri);
      return ("http".equalsIgnoreCase(u.getScheme()) || "https".equalsIgnoreCase(u.getScheme())) && u.getHost() != null;
    } catch (java.net.URISyntaxException e) {
      return false;
    }
  }

  /**
   * Starts fetching URIs not seen before and forgets URIs no longer referenced. URIs that are not
   * {@link #fetchable} are ignored (never fetched, so their issuers' tokens are rejected).
   */
  public void track(Set<String> uris) {
    for (String uri : uris) {
      if (!fetchable(uri)) {
        continue;
      }
      Entry e = new Entry();
      e.nextFirstRetry = timings.firstRetry();
      // Registered before the first fetch is scheduled, so that fetch's publish() sees it.
      if (entries.putIfAbsent(uri, e) == null) {
        synchronized (e) {
          e.next = scheduler.schedule(() -> fetch(uri, e), 0, TimeUnit.MILLISECONDS);
        }
      }
    }
    boolean removed = false;
    for (Map.Entry<String, Entry> e : Map.copyOf(entries).entrySet()) {
      if (!uris.contains(e.getKey())) {
        Entry gone = e.getValue();
        gone.cancelled = true;
        synchronized (gone) {
          if (gone.next != null) {
            gone.next.cancel(false);
          }
        }
        entries.remove(e.getKey());
        removed = true;
      }
    }
    if (removed) {
      scheduler.execute(this::publish);
    }
  }

  /** The key sets fetched so far; immutable. */
  public JwksSnapshot snapshot() {
    return snapshot;
  }

  private void fetch(String uri, Entry e) {
    if (e.cancelled) {
      return;
    }
    String body = null;
    String problem;
    try {
      body = fetcher.fetch(URI.create(uri), timings.fetchTimeout());
      problem = JwksDocument.problem(body).orElse(null);
    } catch (IOException | RuntimeException ex) {
      problem = ex.toString();
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      return;
    }
    if (e.cancelled) {
      return;
    }
    // Logged once per state change (working -> failing, failing -> working), not on every retry.
    boolean newlyFailing = problem != null && e.failure == null;
    Duration delay;
    if (problem == null) {
      if (e.failure != null) {
        log.info("JWKS fetch from {} succeeded after failing; its key set is in use", uri);
      }
      e.failure = null;
      e.nextFirstRetry = timings.firstRetry();
      delay = timings.refreshInterval();
      if (!body.equals(e.keySet)) {
        e.keySet = body;
        publish();
      }
    } else if (e.keySet != null) {
      e.failure = problem;
      delay = timings.retryAfterFailure();
      logFailure(newlyFailing, "JWKS refresh from {} failed ({}); keeping the last key set, retrying every {}",
          uri, problem, delay);
    } else {
      e.failure = problem;
      delay = e.nextFirstRetry;
      Duration doubled = delay.multipliedBy(2);
      e.nextFirstRetry = doubled.compareTo(timings.retryAfterFailure()) > 0 ? timings.retryAfterFailure() : doubled;
      logFailure(newlyFailing,
          "JWKS fetch from {} failed ({}); tokens from its issuer are rejected until it succeeds; retrying in {}",
          uri, problem, delay);
    }
    synchronized (e) {
      if (!e.cancelled) {
        e.next = scheduler.schedule(() -> fetch(uri, e), delay.toMillis(), TimeUnit.MILLISECONDS);
      }
    }
  }

  private static void logFailure(boolean newlyFailing, String format, Object... args) {
    if (newlyFailing) {
      log.warn(format, args);
    } else {
      log.debug(format, args);
    }
  }

  private void publish() {
    Map<String, String> m = new HashMap<>();
    entries.forEach((uri, e) -> Optional.ofNullable(e.keySet).ifPresent(k -> m.put(uri, k)));
    JwksSnapshot next = new JwksSnapshot(m);
    if (!next.equals(snapshot)) {
      snapshot = next;
      onChange.accept(next);
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
