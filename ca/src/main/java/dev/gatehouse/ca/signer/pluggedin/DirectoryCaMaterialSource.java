package dev.gatehouse.ca.signer.pluggedin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Plugged-in CA files in a directory, e.g. the {@code cacerts} Secret mounted at {@code /etc/cacerts}. Reads
 * through Kubernetes' {@code ..data} symlink like any other path. Thread-safe.
 */
public final class DirectoryCaMaterialSource implements CaMaterialSource {
  static final List<String> FILES = List.of(
      PluggedInCaMaterial.CA_CERT, PluggedInCaMaterial.CA_KEY, PluggedInCaMaterial.CERT_CHAIN, PluggedInCaMaterial.ROOT_CERT,
      PluggedInCaMaterial.TLS_CERT, PluggedInCaMaterial.TLS_KEY, PluggedInCaMaterial.TLS_CA);
  private final Path directory;

  public DirectoryCaMaterialSource(Path directory) {
    this.directory = directory;
  }

  @Override
  public Map<String, String> read() throws IOException {
    Map<String, String> files = new LinkedHashMap<>();
    for (String name : FILES) {
      Path file = directory.resolve(name);
      if (Files.isRegularFile(file)) {
        files.put(name, Files.readString(file, StandardCharsets.US_ASCII));
      }
    }
    return files;
  }

  @Override
  public boolean isPresent() {
    return Files.isRegularFile(directory.resolve(PluggedInCaMaterial.CA_CERT))
        || Files.isRegularFile(directory.resolve(PluggedInCaMaterial.TLS_CERT));
  }

  @Override
  public String describe() {
    return "directory " + directory.toAbsolutePath();
  }
}
