package dev.gatehouse.ca.signer.selfsigned;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * File-mode {@link CaSecretStore}: the secret is a directory {@code <state>/istio-ca-secret/} holding
 * {@code ca-cert.pem}, {@code ca-key.pem} (0600) and {@code root-cert.pem}. Like Kubernetes' atomic writer,
 * {@code istio-ca-secret} is a symlink to a fully written generation directory, so readers never see a partial
 * secret: creating the symlink is the atomic create-if-absent, and an atomic rename of a new symlink over it is
 * the replace (serialized across processes by a file lock). The version is the generation directory's name.
 * Thread-safe.
 */
public final class FileCaSecretStore implements CaSecretStore {
  public static final String SECRET_NAME = "istio-ca-secret";
  private final Path stateDir;
  private final Path link;

  public FileCaSecretStore(Path stateDir) {
    this.stateDir = stateDir.toAbsolutePath();
    this.link = this.stateDir.resolve(SECRET_NAME);
  }

  @Override
  public Optional<CaSecret> load() {
    try {
      Path target;
      try {
        target = Files.readSymbolicLink(link);
      } catch (NoSuchFileException e) {
        return Optional.empty();
      }
      Path generation = stateDir.resolve(target);
      return Optional.of(new CaSecret(
          read(generation, CaSecret.CA_CERT), read(generation, CaSecret.CA_KEY), read(generation, CaSecret.ROOT_CERT),
          target.getFileName().toString()));
    } catch (IOException e) {
      throw new StoreException("cannot read " + describe() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public CaSecret createIfAbsent(CaSecret candidate) {
    try {
      Files.createDirectories(stateDir);
      Path generation = writeGeneration(candidate);
      try {
        Files.createSymbolicLink(link, generation.getFileName());
        return candidate.withVersion(generation.getFileName().toString());
      } catch (FileAlreadyExistsException lost) {
        deleteGeneration(generation);
        return load().orElseThrow(() -> new StoreException(describe() + " exists but cannot be read", lost));
      }
    } catch (IOException e) {
      throw new StoreException("cannot create " + describe() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public CaSecret replace(CaSecret current, CaSecret updated) throws ConflictException {
    // The file lock serializes processes; the monitor serializes threads (FileLock is per JVM, not per thread).
    synchronized (FileCaSecretStore.class) {
      return replaceLocked(current, updated);
    }
  }

  private CaSecret replaceLocked(CaSecret current, CaSecret updated) throws ConflictException {
    try (FileChannel lockFile = FileChannel.open(stateDir.resolve("." + SECRET_NAME + ".lock"),
            StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock ignored = lockFile.lock()) {
      String stored = Files.readSymbolicLink(link).getFileName().toString();
      if (!stored.equals(current.version())) {
        throw new ConflictException(describe() + " changed: version " + stored + ", expected " + current.version());
      }
      Path generation = writeGeneration(updated);
      Path tmpLink = stateDir.resolve("." + SECRET_NAME + ".link-" + UUID.randomUUID());
      Files.createSymbolicLink(tmpLink, generation.getFileName());
      Files.move(tmpLink, link, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      // The previous generation stays: a reader that resolved the old link may still be reading it.
      return updated.withVersion(generation.getFileName().toString());
    } catch (IOException e) {
      throw new StoreException("cannot replace " + describe() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String describe() {
    return "directory " + link;
  }

  private Path writeGeneration(CaSecret secret) throws IOException {
    Path generation = stateDir.resolve("." + SECRET_NAME + "-" + UUID.randomUUID());
    Files.createDirectory(generation);
    Files.writeString(generation.resolve(CaSecret.CA_CERT), secret.caCertPem(), StandardCharsets.US_ASCII);
    Path key = generation.resolve(CaSecret.CA_KEY);
    Files.createFile(key);
    try {
      Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException e) {
      // Non-POSIX file system: permissions are the operator's job.
    }
    Files.writeString(key, secret.caKeyPem(), StandardCharsets.US_ASCII);
    Files.writeString(generation.resolve(CaSecret.ROOT_CERT), secret.rootCertPem(), StandardCharsets.US_ASCII);
    return generation;
  }

  private static void deleteGeneration(Path generation) throws IOException {
    try (Stream<Path> files = Files.walk(generation)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static String read(Path dir, String name) throws IOException {
    return Files.readString(dir.resolve(name), StandardCharsets.US_ASCII);
  }
}
