package dev.gatehouse.controlplane.source;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_DELETE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;

import dev.gatehouse.controlplane.source.ConfigInputErrors.Reason;
import dev.gatehouse.model.parse.KubernetesObjectParser;
import dev.gatehouse.model.parse.KubernetesYaml;
import dev.gatehouse.model.parse.ParseResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a directory of Kubernetes-style YAML: {@code *.yaml}, {@code *.yml} and {@code *.json} files at any depth,
 * each with any number of documents ({@code kind: List} included). Hidden files and directories (names starting with
 * ".") are skipped, which also skips the {@code ..data} internals of a mounted ConfigMap while following its
 * symlinks.
 *
 * <p>Changes are picked up without a restart: a {@link WatchService} registered on every directory (new ones
 * included) triggers a rescan, and a periodic rescan catches what the watch service misses on some file systems.
 * A rescan re-reads only files whose size or modification time changed (or were modified within the last rescan
 * interval, for coarse file-system clocks) and re-parses only those whose content hash changed.
 *
 * <p>Bad input is skipped and reported, never fatal, and never loses what worked: a file that is not YAML keeps all
 * the objects it defined before; a file with an unusable document keeps the objects that document may have defined
 * before; an invalid policy keeps its previous valid version (see {@link MeshConfigStream}). Deleting a file removes
 * the objects that only it defined. When two files define the same object, the one whose path sorts first is used.
 *
 * <p>Thread-safety: scanning is serialized on {@code this}; one thread ("gatehouse-config-files") watches.
 */
public final class FileConfigSource implements ConfigSource {
  public static final String SOURCE = "file";
  private static final Logger log = LoggerFactory.getLogger(FileConfigSource.class);

  private final Path dir;
  private final Path root;
  private final KubernetesObjectParser parser;
  private final MeshConfigStream stream;
  private final ConfigInputErrors errors;
  private final Duration rescanInterval;

  // Guarded by this.
  private final Map<Path, FileState> files = new HashMap<>();
  private final Map<MeshObjectId, TreeMap<Path, Object>> providers = new HashMap<>();
  private final Map<Path, WatchKey> watchedDirs = new HashMap<>();
  private boolean rootMissingReported;

  private WatchService watchService;
  private Thread watcher;
  private volatile boolean running;

  private record FileState(long size, long modified, byte[] hash, Map<MeshObjectId, Object> objects) {}

  public FileConfigSource(
      Path dir,
      KubernetesObjectParser parser,
      MeshConfigStream stream,
      ConfigInputErrors errors,
      Duration rescanInterval) {
    this.dir = dir;
    this.root = dir.toAbsolutePath().normalize();
    this.parser = parser;
    this.stream = stream;
    this.errors = errors;
    this.rescanInterval = rescanInterval;
  }

  @Override
  public String description() {
    return "files under " + root;
  }

  /**
   * Loads every file, completes the initial sync and starts watching.
   *
   * @throws IllegalStateException when the directory does not exist: a wrong path is a setup error, not input
   */
  @Override
  public synchronized void start() {
    if (!Files.isDirectory(root)) {
      throw new IllegalStateException("Config directory " + root + " does not exist or is not a directory");
    }
    try {
      watchService = root.getFileSystem().newWatchService();
    } catch (IOException | UnsupportedOperationException e) {
      log.warn("No file-system events for {} ({}); relying on the periodic rescan every {}", root, e, rescanInterval);
    }
    rescan();
    stream.initialSyncDone();
    running = true;
    watcher = new Thread(this::watch, "gatehouse-config-files");
    watcher.setDaemon(true);
    watcher.start();
  }

  @Override
  public SourceHealth health() {
    boolean present = Files.isDirectory(root);
    return new SourceHealth(
        present, present ? "watching " + root : "config directory " + root + " is missing; serving the last snapshot");
  }

  private void watch() {
    long intervalMillis = Math.max(10, rescanInterval.toMillis());
    while (running) {
      try {
        if (watchService == null) {
          Thread.sleep(intervalMillis);
        } else {
          WatchKey key = watchService.poll(intervalMillis, TimeUnit.MILLISECONDS);
          if (key != null) {
            // Editors and `kubectl cp` write in several steps: gather the burst, then scan once.
            Thread.sleep(20);
            do {
              key.pollEvents();
              key.reset();
            } while ((key = watchService.poll()) != null);
          }
        }
        rescan();
      } catch (InterruptedException | ClosedWatchServiceException e) {
        return;
      } catch (RuntimeException e) {
        // Never let input kill the watcher: log and keep the last good state.
        log.error("Rescan of {} failed; keeping the current config", root, e);
      }
    }
  }

  /** Scans the directory and applies every change found. Also used by tests to skip waiting for the timer. */
  synchronized void rescan() {
    if (!Files.isDirectory(root)) {
      // An unmounted or moved directory must not look like "every object was deleted": that could drop DENY
      // policies and widen access. Keep serving the last snapshot until it comes back.
      if (!rootMissingReported) {
        log.warn("Config directory {} is missing; keeping the last loaded config until it returns", root);
        rootMissingReported = true;
      }
      return;
    }
    rootMissingReported = false;
    long scanStart = System.currentTimeMillis();
    Set<Path> seen = new TreeSet<>();
    walk(seen);
    for (Path p : seen) {
      try {
        refreshFile(p, scanStart);
      } catch (IOException e) {
        // Vanished between walk and read, or unreadable: keep what it defined before; the next scan decides.
        errors.report(SOURCE, Reason.NOT_YAML, "file " + display(p), "cannot read: " + e);
      }
    }
    for (Path gone : new ArrayList<>(files.keySet())) {
      if (!seen.contains(gone)) {
        removeFile(gone);
      }
    }
  }

  private void walk(Set<Path> seen) {
    try {
      Files.walkFileTree(
          root,
          EnumSet.of(FileVisitOption.FOLLOW_LINKS),
          Integer.MAX_VALUE,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
              if (!d.equals(root) && hidden(d)) {
                return FileVisitResult.SKIP_SUBTREE;
              }
              register(d);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
              if (attrs.isRegularFile() && !hidden(f) && configFile(f)) {
                seen.add(f);
              }
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path f, IOException e) {
              log.warn("Cannot read {} ({}); skipping it", f, e.toString());
              // Keep what an unreadable file defined before.
              files.keySet().stream().filter(p -> p.startsWith(f)).forEach(seen::add);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      log.warn("Cannot scan {} ({}); keeping the current config", root, e.toString());
      seen.addAll(files.keySet());
    }
  }

  private void register(Path d) {
    if (watchService == null) {
      return;
    }
    WatchKey existing = watchedDirs.get(d);
    if (existing != null && existing.isValid()) {
      return;
    }
    try {
      watchedDirs.put(d, d.register(watchService, ENTRY_CREATE, ENTRY_DELETE, ENTRY_MODIFY));
    } catch (IOException | ClosedWatchServiceException e) {
      log.debug("Cannot watch {} ({}); the periodic rescan covers it", d, e.toString());
    }
  }

  private void refreshFile(Path p, long scanStart) throws IOException {
    BasicFileAttributes attrs = Files.readAttributes(p, BasicFileAttributes.class);
    long modified = attrs.lastModifiedTime().toMillis();
    FileState known = files.get(p);
    boolean recent = scanStart - modified < Math.max(2_000, 2 * rescanInterval.toMillis());
    if (known != null && known.size() == attrs.size() && known.modified() == modified && !recent) {
      return;
    }
    byte[] bytes = Files.readAllBytes(p);
    byte[] hash = sha256(bytes);
    if (known != null && Arrays.equals(known.hash(), hash)) {
      files.put(p, new FileState(bytes.length, modified, hash, known.objects()));
      return;
    }
    Map<MeshObjectId, Object> previous = known == null ? Map.of() : known.objects();
    Map<MeshObjectId, Object> objects = parseFile(p, bytes, previous);
    files.put(p, new FileState(bytes.length, modified, hash, objects));
    Set<MeshObjectId> affected = new HashSet<>(previous.keySet());
    affected.addAll(objects.keySet());
    for (MeshObjectId id : affected) {
      Object before = previous.get(id);
      Object now = objects.get(id);
      if (now == null) {
        withdraw(id, p);
      } else if (!now.equals(before)) {
        provide(id, p, now);
      }
    }
    if (known != null) {
      log.info("Reloaded {}: {} objects", display(p), objects.size());
    }
  }

  /** "line N: problem", the problem flattened to one line of at most 240 characters. */
  private static String describe(KubernetesYaml.NotYamlException e) {
    String where = e.marked() && e.line().isPresent() ? "line " + e.line().getAsInt() + ": " : "";
    String problem = e.problem() == null ? "malformed YAML" : e.problem().replaceAll("\\s+", " ").trim();
    return where + (problem.length() > 240 ? problem.substring(0, 240) + "..." : problem);
  }

  /** The objects a file defines now; on a partial failure, what it defined before is kept. */
  private Map<MeshObjectId, Object> parseFile(Path p, byte[] bytes, Map<MeshObjectId, Object> previous) {
    String name = display(p);
    List<Object> docs;
    try {
      docs = KubernetesYaml.documents(utf8(bytes));
    } catch (KubernetesYaml.NotYamlException | CharacterCodingException e) {
      String why = e instanceof KubernetesYaml.NotYamlException y ? "not YAML: " + describe(y) : "not UTF-8 text";
      errors.report(
          SOURCE,
          Reason.NOT_YAML,
          "file " + name,
          why + (previous.isEmpty() ? "" : "; keeping the objects it defined before"));
      return previous;
    }
    Map<MeshObjectId, Object> objects = new LinkedHashMap<>();
    boolean failures = false;
    int index = 0;
    for (Object doc : docs) {
      index++;
      if (!(doc instanceof Map<?, ?>)) {
        errors.report(SOURCE, Reason.INVALID_OBJECT, "document " + index + " of " + name, "not a YAML mapping");
        failures = true;
        continue;
      }
      for (ParseResult r : parser.parseAll(doc, name)) {
        if (r instanceof ParseResult.Parsed parsed) {
          MeshObjectId id = new MeshObjectId(parsed.kind(), parsed.key());
          if (objects.put(id, parsed.value()) != null) {
            errors.report(SOURCE, Reason.DUPLICATE, id + " in " + name, "defined twice in the file; using the last");
          }
        } else if (r instanceof ParseResult.Ignored ignored) {
          errors.ignored(SOURCE, ignored.kind(), ignored.kind() + " in " + name, ignored.reason());
        } else if (r instanceof ParseResult.Failed failed) {
          errors.report(SOURCE, Reason.INVALID_OBJECT, "document " + index + " of " + name, failed.reason());
          failures = true;
        }
      }
    }
    if (failures) {
      // The failed document may be an object this file defined before (e.g. its name was mistyped while editing):
      // keep those rather than delete them, since deleting a policy can widen access.
      previous.forEach(objects::putIfAbsent);
    }
    return objects;
  }

  private void removeFile(Path p) {
    FileState state = files.remove(p);
    WatchKey key = watchedDirs.remove(p);
    if (key != null) {
      key.cancel();
    }
    if (state == null) {
      return;
    }
    log.info("Removed {}: withdrawing {} objects", display(p), state.objects().size());
    for (MeshObjectId id : state.objects().keySet()) {
      withdraw(id, p);
    }
  }

  private void provide(MeshObjectId id, Path p, Object value) {
    TreeMap<Path, Object> byFile = providers.computeIfAbsent(id, k -> new TreeMap<>());
    boolean newProvider = !byFile.containsKey(p);
    byFile.put(p, value);
    if (newProvider && byFile.size() > 1) {
      errors.report(
          SOURCE,
          Reason.DUPLICATE,
          id + " in " + display(p),
          "also defined in " + display(byFile.firstKey().equals(p) ? byFile.higherKey(p) : byFile.firstKey())
              + "; using the one from " + display(byFile.firstKey()));
    }
    publish(id, byFile);
  }

  private void withdraw(MeshObjectId id, Path p) {
    TreeMap<Path, Object> byFile = providers.get(id);
    if (byFile == null) {
      return;
    }
    byFile.remove(p);
    if (byFile.isEmpty()) {
      providers.remove(id);
      stream.delete(id);
    } else {
      publish(id, byFile);
    }
  }

  private void publish(MeshObjectId id, TreeMap<Path, Object> byFile) {
    stream.upsert(SOURCE, id, byFile.firstEntry().getValue());
  }

  private String display(Path p) {
    return p.startsWith(root) ? dir.resolve(root.relativize(p)).toString() : p.toString();
  }

  private static boolean hidden(Path p) {
    Path name = p.getFileName();
    return name != null && name.toString().startsWith(".");
  }

  private static boolean configFile(Path p) {
    String n = p.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
    return n.endsWith(".yaml") || n.endsWith(".yml") || n.endsWith(".json");
  }

  private static String utf8(byte[] bytes) throws CharacterCodingException {
    return StandardCharsets.UTF_8
        .newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(bytes))
        .toString();
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is mandatory in every JDK", e);
    }
  }

  @Override
  public void close() {
    running = false;
    if (watchService != null) {
      try {
        watchService.close();
      } catch (IOException e) {
        log.debug("Closing the watch service", e);
      }
    }
    Thread t = watcher;
    if (t != null) {
      t.interrupt();
      try {
        t.join(2_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
