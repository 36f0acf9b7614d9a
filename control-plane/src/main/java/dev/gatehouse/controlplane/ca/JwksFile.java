package dev.gatehouse.controlplane.ca;

import dev.gatehouse.ca.auth.JsonWebKeySet;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The issuer keys for local JWT validation, read from {@code gatehouse.ca.jwt.jwks-file} and re-read when the file
 * changes (checked at most every {@code checkInterval}), so rotating the cluster's service-account signing key only
 * needs an updated file (e.g. a mounted ConfigMap). A file that no longer parses is logged and the previous keys stay
 * in use. Thread-safe.
 */
public final class JwksFile implements Supplier<JsonWebKeySet> {
  private static final Logger log = LoggerFactory.getLogger(JwksFile.class);
  private final Path file;
  private final Clock clock;
  private final Duration checkInterval;
  private JsonWebKeySet keys;
  private FileTime loadedVersion;
  private Instant nextCheck = Instant.MIN;

  /** Reads the file now; throws if it cannot be read or parsed (a misconfiguration to fail on at startup). */
  public JwksFile(Path file, Clock clock, Duration checkInterval) throws IOException {
    this.file = file;
    this.clock = clock;
    this.checkInterval = checkInterval;
    this.loadedVersion = Files.getLastModifiedTime(file);
    this.keys = JsonWebKeySet.parse(Files.readString(file, StandardCharsets.UTF_8));
    this.nextCheck = clock.instant().plus(checkInterval);
  }

  @Override
  public synchronized JsonWebKeySet get() {
    Instant now = clock.instant();
    if (now.isBefore(nextCheck)) {
      return keys;
    }
    nextCheck = now.plus(checkInterval);
    try {
      FileTime version = Files.getLastModifiedTime(file);
      if (!version.equals(loadedVersion)) {
        keys = JsonWebKeySet.parse(Files.readString(file, StandardCharsets.UTF_8));
        loadedVersion = version;
        log.info("reloaded JWT issuer keys from {} ({} keys)", file, keys.keys().size());
      }
    } catch (IOException | IllegalArgumentException e) {
      log.error("cannot reload JWT issuer keys from {}; keeping the previous keys: {}", file, e.getMessage());
    }
    return keys;
  }
}
