package dev.gatehouse.controlplane.xds;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code gatehouse.xds.*}: the ADS server's tuning.
 *
 * @param nackBackoff how long a NACKed config version is held back before it is sent once more (a config change
 *     supersedes it at once); java-control-plane's default is to re-send immediately, a NACK storm
 * @param pushThrottle threads computing and handing out configs on a push; 0 = Istio's PILOT_PUSH_THROTTLE default,
 *     min(15 + 5 x cores, 100)
 */
@ConfigurationProperties("gatehouse.xds")
public record XdsProperties(@DefaultValue("30s") Duration nackBackoff, @DefaultValue("0") int pushThrottle) {}
