package dev.gatehouse.xds;

import dev.gatehouse.model.MtlsMode;
import java.util.Map;
import java.util.TreeMap;

/**
 * The peer-authentication outcome for one workload (what {@code istioctl x describe pod} prints).
 *
 * @param workloadMode the mode for every port without a port-level override; never UNSET
 * @param portModes container port to mode, from the winning workload-level policy's {@code portLevelMtls}; an UNSET
 *     port entry has already been resolved to {@code workloadMode}
 * @param source which policy decided the workload mode, e.g. "PeerAuthentication shop/default" or "mesh default"
 */
public record EffectiveMtls(MtlsMode workloadMode, Map<Integer, MtlsMode> portModes, String source) {
  public EffectiveMtls {
    if (workloadMode == null || workloadMode == MtlsMode.UNSET) {
      throw new IllegalArgumentException("workload mode must be resolved");
    }
    portModes = java.util.Collections.unmodifiableMap(new TreeMap<>(portModes == null ? Map.of() : portModes));
  }

  public MtlsMode modeFor(int containerPort) {
    return portModes.getOrDefault(containerPort, workloadMode);
  }
}
