package dev.gatehouse.controlplane.cli;

import dev.gatehouse.controlplane.ca.TokenCommand;
import dev.gatehouse.posture.UnknownWorkload;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code gatehouse} command line: {@code serve} (the default: without a subcommand every argument goes to
 * {@code serve}, so {@code gatehouse --config-dir examples} and Spring's {@code --name=value} arguments keep working),
 * {@code token}, and the posture tools {@code describe}, {@code explain}, {@code analyze}, {@code posture}. Exit codes
 * are the constants below (docs/posture.md).
 */
@Command(
    name = "gatehouse",
    mixinStandardHelpOptions = true,
    versionProvider = GatehouseCli.Version.class,
    description = {
      "Gatehouse: the security control plane of a service mesh, and tools that prove its posture.",
      "Without a subcommand, runs `serve` with the arguments given."
    },
    subcommands = {
      ServeCommand.class,
      TokenCommand.class,
      DescribeCommand.class,
      ExplainCommand.class,
      AnalyzeCommand.class,
      PostureCommand.class,
      AutoComplete.GenerateCompletion.class,
      CommandLine.HelpCommand.class
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:success; explain: the request is allowed; analyze: no finding at --fail-on or above",
      "1:analyze: findings at --fail-on or above; explain: the request is denied",
      "2:bad arguments (usage)",
      "3:the input cannot be read: directory, cluster, server, or pod not found",
      "4:explain: undecided (a CUSTOM provider decides, or the config cannot be evaluated)"
    })
public final class GatehouseCli implements Runnable {
  public static final int OK = 0;
  public static final int FINDINGS_OR_DENIED = 1;
  public static final int USAGE = 2;
  public static final int INPUT = 3;
  public static final int UNDECIDED = 4;

  private static final Set<String> TOP_LEVEL = Set.of("-h", "--help", "-V", "--version");

  @Override
  public void run() {
    throw new IllegalStateException("main() dispatches every argument list to a subcommand");
  }

  /**
   * Runs the command line; {@code serve} returns once the application is up (its threads keep the JVM alive), every
   * other command returns its exit code.
   */
  public static int execute(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cl = commandLine(out, err);
    return cl.execute(withSubcommand(cl, args));
  }

  public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new GatehouseCli());
    cl.setOut(out);
    cl.setErr(err);
    cl.setExecutionExceptionHandler((e, command, parsed) -> {
      if (e instanceof CliException c) {
        command.getErr().println("error: " + c.getMessage());
        return c.exitCode();
      }
      if (e instanceof UnknownWorkload) {
        command.getErr().println("error: " + e.getMessage());
        return INPUT;
      }
      if (e instanceof IllegalArgumentException) {
        command.getErr().println("error: " + e.getMessage());
        return USAGE;
      }
      throw e;
    });
    return cl;
  }

  /** Prepends {@code serve} unless the first argument names a subcommand or asks for help or the version. */
  static String[] withSubcommand(CommandLine cl, String[] args) {
    if (args.length > 0 && (cl.getSubcommands().containsKey(args[0]) || TOP_LEVEL.contains(args[0]))) {
      return args;
    }
    List<String> out = new ArrayList<>(args.length + 1);
    out.add(ServeCommand.NAME);
    out.addAll(Arrays.asList(args));
    return out.toArray(String[]::new);
  }

  /** The artifact version from the jar's manifest ("development" when run from classes). */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = GatehouseCli.class.getPackage().getImplementationVersion();
      return new String[] {"gatehouse " + (v == null ? "development" : v)};
    }
  }
}
