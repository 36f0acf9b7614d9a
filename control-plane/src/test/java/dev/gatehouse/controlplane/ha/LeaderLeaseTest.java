package dev.gatehouse.controlplane.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link LeaderLease} against the fabric8 mock API server in CRUD mode (expectations only where a fault is injected),
 * with short timings: lease 3 s, renew deadline 2 s, retry 0.3 s.
 */
class LeaderLeaseTest {
  private static final LeaderElectionProperties TIMINGS = new LeaderElectionProperties("gatehouse-leader",
      Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofMillis(300), "");
  private static final String LEASE_PATH = "/apis/coordination.k8s.io/v1/namespaces/istio-system/leases/gatehouse-leader";

  private KubernetesMockServer server;
  private KubernetesClient client;
  private final List<LeaderLease> leases = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    server = new KubernetesMockServer(new Context(Serialization.jsonMapper()), new MockWebServer(), responses,
        new KubernetesMixedDispatcher(responses), false);
    server.init(InetAddress.getByName("127.0.0.1"), 0);
    client = server.createClient();
  }

  @AfterEach
  void stop() {
    leases.forEach(LeaderLease::close);
    client.close();
    server.destroy();
  }

  private LeaderLease replica(String identity) {
    LeaderLease lease = new LeaderLease(client, "istio-system", TIMINGS, identity, Clock.systemUTC());
    leases.add(lease);
    lease.start();
    return lease;
  }

  /** Samples every 10 ms that no two replicas believe they hold the lease at the same time. */
  private static AtomicBoolean watchForTwoLeaders(List<LeaderLease> replicas, AtomicBoolean stop) {
    AtomicBoolean twoAtOnce = new AtomicBoolean();
    Thread t = new Thread(() -> {
      while (!stop.get()) {
        if (replicas.stream().filter(LeaderLease::holdsLease).count() > 1) {
          twoAtOnce.set(true);
        }
        try {
          Thread.sleep(10);
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    t.setDaemon(true);
    t.start();
    return twoAtOnce;
  }

  @Test
  void exactlyOneOfThreeReplicasStartingTogetherHoldsTheLeaseAndEveryoneKnowsWho() {
    List<LeaderLease> replicas = List.of(replica("gatehouse-a"), replica("gatehouse-b"), replica("gatehouse-c"));
    AtomicBoolean stop = new AtomicBoolean();
    AtomicBoolean twoAtOnce = watchForTwoLeaders(replicas, stop);
    await().atMost(Duration.ofSeconds(10)).until(() -> replicas.stream().anyMatch(LeaderLease::holdsLease));
    LeaderLease leader = replicas.stream().filter(LeaderLease::holdsLease).findFirst().orElseThrow();
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      for (LeaderLease r : replicas) {
        assertThat(r.status().holder()).isEqualTo(leader.status().identity());
        assertThat(r.status().holderSince()).isNotNull();
        assertThat(r.status().leader()).isEqualTo(r == leader);
      }
    });
    assertThat(leader.status().leaderSince()).isNotNull();
    Lease lease = client.leases().inNamespace("istio-system").withName("gatehouse-leader").get();
    assertThat(lease.getSpec().getHolderIdentity()).isEqualTo(leader.status().identity());
    stop.set(true);
    assertThat(twoAtOnce).as("two replicas held the lease at once").isFalse();
  }

  @Test
  void aLeaderThatStopsReleasesTheLeaseAndAnotherTakesOverWithinARetryPeriod() {
    LeaderLease first = replica("gatehouse-a");
    await().atMost(Duration.ofSeconds(10)).until(first::holdsLease);
    LeaderLease second = replica("gatehouse-b");
    List<Boolean> firstSaw = new CopyOnWriteArrayList<>();
    first.onChange(firstSaw::add);
    await().atMost(Duration.ofSeconds(5)).until(() -> "gatehouse-a".equals(second.status().holder()));

    long stopped = System.nanoTime();
    first.close();
    assertThat(firstSaw).containsExactly(false);
    await().atMost(Duration.ofSeconds(3)).until(second::holdsLease);
    long takeoverMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopped);
    // Released: no need to wait for the 3 s lease to expire; the jittered retry period is at most 0.66 s.
    assertThat(takeoverMillis).isLessThan(TIMINGS.leaseDuration().toMillis());
    assertThat(client.leases().inNamespace("istio-system").withName("gatehouse-leader").get().getSpec()
        .getLeaseTransitions()).isEqualTo(1);
  }

  @Test
  void aLeaderWhoseRenewalHangsStopsBeforeAnotherReplicaCanTakeTheLease() {
    LeaderLease first = replica("gatehouse-a");
    await().atMost(Duration.ofSeconds(10)).until(first::holdsLease);
    LeaderLease second = replica("gatehouse-b");
    await().atMost(Duration.ofSeconds(5)).until(() -> "gatehouse-a".equals(second.status().holder()));
    AtomicBoolean stop = new AtomicBoolean();
    AtomicBoolean twoAtOnce = watchForTwoLeaders(List.of(first, second), stop);

    // The leader's next renewal (a PATCH of the Lease) hangs for 20 s: a stuck connection, a frozen API server.
    server.expect().patch().delay(20, TimeUnit.SECONDS).withPath(LEASE_PATH).andReturn(500, "{}").once();
    long hung = System.nanoTime();
    await().atMost(Duration.ofSeconds(5)).until(() -> !first.holdsLease());
    long stoppedAfter = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - hung);
    // It stops on its own clock within the renew deadline (plus the retry period before the hung call started),
    // while fabric8's renewal call is still waiting for its answer.
    assertThat(stoppedAfter).isLessThanOrEqualTo(TIMINGS.renewDeadline().plus(TIMINGS.retryPeriod()).toMillis() + 300);
    await().atMost(Duration.ofSeconds(8)).until(second::holdsLease);
    stop.set(true);
    assertThat(twoAtOnce).as("two replicas held the lease at once").isFalse();
    assertThat(second.status().holder()).isEqualTo("gatehouse-b");
  }

  @Test
  void timingsThatCouldLetTwoReplicasLeadAreRefused() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new LeaderElectionProperties("l", Duration.ofSeconds(10),
        Duration.ofSeconds(10), Duration.ofSeconds(2), null)).hasMessageContaining("lease-duration");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new LeaderElectionProperties("l", Duration.ofSeconds(15),
        Duration.ofSeconds(2), Duration.ofSeconds(2), null)).hasMessageContaining("retry-period");
  }
}
