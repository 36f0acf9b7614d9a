package dev.gatehouse.controlplane.ha;

import jakarta.servlet.http.HttpServletRequest;
import dev.gatehouse.controlplane.xds.XdsDebugController;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /debug/leaderz} on the monitoring port: the leader Lease as this replica sees it (who holds it, since when,
 * last renewal, transitions) and whether this replica is the leader. Loopback callers only, like the other
 * {@code /debug} endpoints.
 */
@RestController
public class LeaderDebugController {
  private final Leadership leadership;

  public LeaderDebugController(Leadership leadership) {
    this.leadership = leadership;
  }

  @GetMapping(path = "/debug/leaderz", produces = MediaType.APPLICATION_JSON_VALUE)
  public ResponseEntity<Map<String, Object>> leaderz(HttpServletRequest request) {
    if (!XdsDebugController.fromLoopback(request)) {
      return ResponseEntity.status(HttpStatus.FORBIDDEN).build();
    }
    LeaseStatus s = leadership.status();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("lease", s.lease());
    body.put("thisReplica", s.identity());
    body.put("leader", s.leader());
    body.put("holder", s.holder());
    body.put("holderSince", text(s.holderSince()));
    body.put("renewedAt", text(s.renewedAt()));
    body.put("leaseDurationSeconds", s.leaseDuration() == null ? null : s.leaseDuration().toMillis() / 1000.0);
    body.put("transitions", s.transitions());
    body.put("observedAt", text(s.observedAt()));
    body.put("leaderSince", text(s.leaderSince()));
    body.put("singletonWork", s.leader()
        ? "this replica creates and rotates the self-signed root and reconciles the trust bundle ConfigMaps"
        : "done by " + (s.holder().isEmpty() ? "nobody at the moment" : s.holder()));
    return ResponseEntity.ok(body);
  }

  private static String text(Object value) {
    return value == null ? null : value.toString();
  }
}
