package dev.gatehouse.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.gatehouse.it.cluster.GatehouseUnderTest;
import dev.gatehouse.it.cluster.MeshPod;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Gatehouse's own view of what every xDS client did with what it was sent, for the end-to-end tests of each data
 * plane: {@code /debug/syncz} (per stream and type: the version sent, the version ACKed, the last NACK) and the
 * reject series on {@code /metrics} ({@code pilot_xds_<type>_reject}, {@code pilot_total_xds_rejects}). Stateless;
 * safe from any thread.
 */
public final class NackWatcher {
  public static final List<String> XDS_TYPES = List.of(
      "type.googleapis.com/envoy.config.listener.v3.Listener",
      "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
      "type.googleapis.com/envoy.config.cluster.v3.Cluster",
      "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment");

  private final GatehouseUnderTest gatehouse;

  public NackWatcher(GatehouseUnderTest gatehouse) {
    this.gatehouse = gatehouse;
  }

  /**
   * No NACK anywhere, and every stream has ACKed the version it was last sent of every type (waits up to 15 s for
   * pushes in flight). Fails with the offending /debug/syncz entry, or the non-zero reject series.
   */
  public void assertEverythingAcked(String scenario) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    List<String> unacked;
    do {
      unacked = new ArrayList<>();
      for (JsonElement e : syncz()) {
        JsonObject s = e.getAsJsonObject();
        String who = s.get("workload").getAsString();
        if (s.has("lastNack") && !s.get("lastNack").isJsonNull()) {
          fail(scenario + ": " + who + " NACKed: " + s.get("lastNack") + "\n" + s);
        }
        for (JsonElement t : s.getAsJsonArray("types")) {
          JsonObject type = t.getAsJsonObject();
          String sent = string(type, "sentVersion");
          if (!sent.isEmpty() && !sent.equals(string(type, "ackedVersion"))) {
            unacked.add(who + " " + type);
          }
        }
      }
      if (unacked.isEmpty()) {
        break;
      }
      Convergence.sleep(200);
    } while (System.nanoTime() < deadline);
    assertThat(unacked).as(scenario + ": every type sent is ACKed at the version sent").isEmpty();
    assertThat(rejectSeries()).as(scenario + ": Gatehouse's reject metrics").isEmpty();
  }

  public JsonArray syncz() throws Exception {
    HttpResponse<String> r = gatehouse.get("/debug/syncz");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JsonParser.parseString(r.body()).getAsJsonArray();
  }

  /** Every non-zero {@code pilot_xds_<type>_reject} or {@code pilot_total_xds_rejects} series on /metrics. */
  public List<String> rejectSeries() throws Exception {
    HttpResponse<String> r = gatehouse.get("/metrics");
    assertThat(r.statusCode()).isEqualTo(200);
    List<String> bad = new ArrayList<>();
    boolean sawTotal = false;
    for (String line : r.body().split("\n")) {
      if (line.startsWith("#")) {
        continue;
      }
      boolean reject = line.matches("^pilot_xds_\\w+_reject[{ ].*") || line.startsWith("pilot_total_xds_rejects");
      if (reject) {
        sawTotal |= line.startsWith("pilot_total_xds_rejects");
        double value = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        if (value > 0) {
          bad.add(line);
        }
      }
    }
    assertThat(sawTotal).as("/metrics exposes pilot_total_xds_rejects (the watcher reads a real series)").isTrue();
    return bad;
  }

  /** The streams of {@code pod} in /debug/syncz. */
  public List<JsonObject> streamsOf(MeshPod pod) throws Exception {
    List<JsonObject> out = new ArrayList<>();
    for (JsonElement e : syncz()) {
      if (e.getAsJsonObject().get("workload").getAsString().equals(pod.namespace() + "/" + pod.name())) {
        out.add(e.getAsJsonObject());
      }
    }
    return out;
  }

  /** typeUrl -> ACKed version, over the pod's streams (types with at least one resource). */
  public Map<String, String> ackedTypes(MeshPod pod) throws Exception {
    Map<String, String> acked = new TreeMap<>();
    for (JsonObject s : streamsOf(pod)) {
      for (JsonElement t : s.getAsJsonArray("types")) {
        JsonObject type = t.getAsJsonObject();
        if (!string(type, "ackedVersion").isEmpty() && type.get("resources").getAsInt() > 0) {
          acked.put(string(type, "typeUrl"), string(type, "ackedVersion"));
        }
      }
    }
    return acked;
  }

  private static String string(JsonObject o, String field) {
    return o.has(field) && !o.get(field).isJsonNull() ? o.get(field).getAsString() : "";
  }
}
