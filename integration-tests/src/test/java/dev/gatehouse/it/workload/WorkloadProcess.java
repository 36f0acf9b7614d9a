package dev.gatehouse.it.workload;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * One fake pod's application, running {@link WorkloadMain} in its own JVM with its own grpc xDS bootstrap
 * ({@code -Dio.grpc.xds.bootstrap}). Protocol lines from its stdout are collected; its stderr (logs) goes to a file
 * under {@code target/e2e-logs}. Every wait is bounded. {@link #close()} asks it to quit, then kills it.
 *
 * <p>Thread-safety: one reader thread appends lines; the query methods are safe from any thread; commands
 * ({@link #call}) must come from one thread at a time.
 */
public final class WorkloadProcess implements AutoCloseable {
  private static final Path LOG_DIR = Path.of("target", "e2e-logs");

  private final String name;
  private final Process process;
  private final Writer stdin;
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final Path log;
  private final Object newLine = new Object();

  private WorkloadProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    Thread reader = new Thread(this::readStdout, "workload-stdout-" + name);
    reader.setDaemon(true);
    reader.start();
  }

  /** A grpc-java xDS server for {@code pod} bound to {@code ip:port}. */
  public static WorkloadProcess server(String pod, Path bootstrap, String ip, int port) {
    return launch(pod, bootstrap, List.of("server", pod, ip, Integer.toString(port)));
  }

  /** A grpc-java client channel to {@code target} (an {@code xds:///} target uses XdsChannelCredentials). */
  public static WorkloadProcess client(String pod, Path bootstrap, String target) {
    return launch(pod, bootstrap, List.of("client", target));
  }

  private static WorkloadProcess launch(String name, Path bootstrap, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(javaExecutable());
    // Small and fast to start: these JVMs live for seconds to minutes and two cores are shared.
    command.addAll(List.of("-Xmx128m", "-Xss512k", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
        "-XX:-UsePerfData", "-Djava.net.preferIPv4Stack=true"));
    command.add("-Dio.grpc.xds.bootstrap=" + bootstrap.toAbsolutePath());
    workloadLogbackConfig().ifPresent(c -> command.add("-Dlogback.configurationFile=" + c));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(WorkloadMain.class.getName());
    command.addAll(args);
    try {
      Files.createDirectories(LOG_DIR);
      Path log = LOG_DIR.resolve(name + "-" + ProcessHandle.current().pid() + "-" + System.nanoTime() + ".log");
      ProcessBuilder builder = new ProcessBuilder(command).redirectError(log.toFile());
      builder.environment().remove("GRPC_XDS_BOOTSTRAP");
      builder.environment().remove("GRPC_XDS_BOOTSTRAP_CONFIG");
      return new WorkloadProcess(name, builder.start(), log);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start workload " + name, e);
    }
  }

  /** The Debian interpreter with python3-grpcio (gRPC C-core); not whatever {@code python3} is first on PATH. */
  public static final Path SYSTEM_PYTHON = Path.of("/usr/bin/python3");

  /**
   * A gRPC C-core workload: {@code ccore/ccore_workload.py} (same line protocol as {@link WorkloadMain}) under
   * {@link #SYSTEM_PYTHON} in isolated mode ({@code -I}: no PYTHONPATH, no user site), with its xDS bootstrap in
   * {@code GRPC_XDS_BOOTSTRAP}. C-core's log (GRPC_VERBOSITY=INFO) goes to the log file.
   *
   * @param args {@code server <pod> <ip> <port>[,<port>...]} or {@code client <target>}
   */
  public static WorkloadProcess ccore(String name, Path bootstrap, List<String> args) {
    List<String> command = new ArrayList<>(List.of(SYSTEM_PYTHON.toString(), "-I", "-u", ccoreScript().toString()));
    command.addAll(args);
    return launchExternal(name, "ccore", command, null, bootstrap, Map.of("GRPC_VERBOSITY", "INFO"));
  }

  /** Node.js from Debian/NodeSource, not whatever {@code node} is first on PATH. */
  public static final Path SYSTEM_NODE = Path.of("/usr/bin/node");

  /**
   * The grpc-js workload's Node project ({@code package.json}, {@code package-lock.json}, {@code grpcjs_workload.js};
   * {@code node_modules} from {@code npm ci}, which {@code .ci/run} does), relative to the module directory the tests
   * run in.
   */
  public static Path grpcJsProject() {
    Path here = Path.of("src", "test", "grpcjs");
    return (Files.isDirectory(here) ? here : Path.of("integration-tests").resolve(here)).toAbsolutePath();
  }

  /**
   * A grpc-js workload: {@code grpcjs_workload.js} (same line protocol as {@link WorkloadMain}) under
   * {@link #SYSTEM_NODE}, with its xDS bootstrap in {@code GRPC_XDS_BOOTSTRAP} and
   * {@code GRPC_XDS_EXPERIMENTAL_RBAC=true} (grpc-js-xds 1.14 registers its RBAC HTTP filter only then,
   * {@code src/environment.ts}). grpc-js's xDS traces go to the log file.
   *
   * @param args {@code server <pod> <ip> <port>[,<port>...]} or {@code client <target>}
   */
  public static WorkloadProcess grpcJs(String name, Path bootstrap, List<String> args) {
    Path project = grpcJsProject();
    List<String> command = new ArrayList<>(List.of(SYSTEM_NODE.toString(),
        project.resolve("grpcjs_workload.js").toString()));
    command.addAll(args);
    return launchExternal(name, "grpcjs", command, project, bootstrap, Map.of(
        "GRPC_XDS_EXPERIMENTAL_RBAC", "true",
        "GRPC_VERBOSITY", "DEBUG",
        "GRPC_TRACE", "xds_client,xds_server,rbac_filter,xds_resolver,server"));
  }

  /** A non-JVM workload (C-core, grpc-js) with its bootstrap in {@code GRPC_XDS_BOOTSTRAP}; stderr to the log. */
  private static WorkloadProcess launchExternal(String name, String kind, List<String> command, Path directory,
      Path bootstrap, Map<String, String> env) {
    try {
      Files.createDirectories(LOG_DIR);
      Path log = LOG_DIR.resolve(name + "-" + kind + "-" + ProcessHandle.current().pid() + "-" + System.nanoTime()
          + ".log");
      ProcessBuilder builder = new ProcessBuilder(command).redirectError(log.toFile());
      if (directory != null) {
        builder.directory(directory.toFile());
      }
      builder.environment().remove("GRPC_XDS_BOOTSTRAP_CONFIG");
      builder.environment().put("GRPC_XDS_BOOTSTRAP", bootstrap.toAbsolutePath().toString());
      builder.environment().putAll(env);
      return new WorkloadProcess(name, builder.start(), log);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + kind + " workload " + name, e);
    }
  }

  private static Path ccoreScript() {
    var url = WorkloadProcess.class.getResource("/ccore/ccore_workload.py");
    if (url == null) {
      throw new IllegalStateException("ccore/ccore_workload.py is not on the test class path");
    }
    try {
      return Path.of(url.toURI());
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String javaExecutable() {
    return ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  private static Optional<String> workloadLogbackConfig() {
    var url = WorkloadProcess.class.getResource("/workload-logback.xml");
    return url == null ? Optional.empty() : Optional.of(url.toString());
  }

  private void readStdout() {
    try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        if (line.startsWith(WorkloadMain.PREFIX)) {
          lines.add(line.substring(WorkloadMain.PREFIX.length()));
          synchronized (newLine) {
            newLine.notifyAll();
          }
        }
      }
    } catch (IOException e) {
      // The process went away; waiters time out or see isAlive() == false.
    } finally {
      synchronized (newLine) {
        newLine.notifyAll();
      }
    }
  }

  public String name() {
    return name;
  }

  /** Every protocol line so far. */
  public List<String> lines() {
    return List.copyOf(lines);
  }

  /** Waits for a protocol line matching {@code match} at or after index {@code from}. */
  public Optional<String> awaitLine(int from, Predicate<String> match, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (newLine) {
      while (true) {
        List<String> now = lines;
        for (int i = from; i < now.size(); i++) {
          if (match.test(now.get(i))) {
            return Optional.of(now.get(i));
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0 || (!process.isAlive() && now.size() == lines.size())) {
          return Optional.empty();
        }
        try {
          newLine.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return Optional.empty();
        }
      }
    }
  }

  /** Waits for a line starting with {@code prefix}; fails with the process's log tail when it does not come. */
  public String expectLine(String prefix, Duration timeout) {
    return awaitLine(0, l -> l.startsWith(prefix), timeout)
        .orElseThrow(() -> new AssertionError(name + " did not print \"" + prefix + "\" within " + timeout
            + "; lines " + lines() + "; log tail:\n" + logTail()));
  }

  /** Sends {@code CALL <method>} and returns the result line ("OK ..." or "ERR <CODE> ..."). */
  public CallResult call(String method) {
    return command("CALL " + method);
  }

  /** The call on a fresh channel: a new connection and TLS handshake with the current certificate files. */
  public CallResult callOnNewConnection(String method) {
    return command("CALL_FRESH " + method);
  }

  /**
   * C-core and grpc-js workloads only: {@code CALL_TO <target> <method>}, a call on the client's channel to another
   * target.
   */
  public CallResult callTo(String target, String method) {
    return command("CALL_TO " + target + " " + method);
  }

  private CallResult command(String command) {
    String method = command;
    int from = lines.size();
    send(command);
    String line = awaitLine(from, l -> l.startsWith("OK ") || l.startsWith("ERR "), Duration.ofSeconds(15))
        .orElseThrow(() -> new AssertionError(name + " gave no answer to CALL " + method + "; alive="
            + process.isAlive() + "; log tail:\n" + logTail()));
    return CallResult.parse(line);
  }

  public void send(String command) {
    try {
      stdin.write(command + "\n");
      stdin.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(name + " is not accepting commands (alive=" + process.isAlive() + ")", e);
    }
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public String logTail() {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - 40), all.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    try {
      send("QUIT");
    } catch (UncheckedIOException e) {
      // already gone
    }
    try {
      if (!process.waitFor(3, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
