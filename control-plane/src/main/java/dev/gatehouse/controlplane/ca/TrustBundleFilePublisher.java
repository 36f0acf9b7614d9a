package dev.gatehouse.controlplane.ca;

import dev.gatehouse.ca.signer.TrustBundle;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * File mode's trust distribution: the bundle is written to {@code <state>/root-cert.pem} (atomically, via a temporary
 * file and a rename), where agents and demos started without a cluster read it. Thread-safe.
 */
public final class TrustBundleFilePublisher {
  public static final String FILE = "root-cert.pem";
  private final Path file;

  public TrustBundleFilePublisher(Path stateDir) {
    this.file = stateDir.toAbsolutePath().resolve(FILE);
  }

  public Path file() {
    return file;
  }

  public synchronized void publish(TrustBundle bundle) {
    if (bundle == null) {
      return;
    }
    try {
      Files.createDirectories(file.getParent());
      Path tmp = Files.createTempFile(file.getParent(), ".root-cert", ".tmp");
      Files.writeString(tmp, bundle.pem(), StandardCharsets.US_ASCII);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
