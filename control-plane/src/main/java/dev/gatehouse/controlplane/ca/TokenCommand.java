package dev.gatehouse.controlplane.ca;

import dev.gatehouse.ca.auth.LocalTokenIssuer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code token --namespace <ns> --service-account <sa> [--state-dir <dir>] [--audience <aud>] [--ttl <duration>]}:
 * mints a service-account-shaped token with file mode's local issuer key ({@code <state>/token-signing-key.pem},
 * created if absent), which a Gatehouse started on the same state directory accepts as {@code authorization: Bearer}
 * on CreateCertificate. Spring-less: it starts nothing. Prints the token on stdout.
 */
@Command(
    name = "token",
    mixinStandardHelpOptions = true,
    description = {
      "Mints a file-mode service-account token for CreateCertificate (docs/ca.md).",
      "Signed with <state-dir>/token-signing-key.pem (created if absent); a Gatehouse serving with the same state "
          + "directory accepts it."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:token printed", "1:the signing key cannot be read or written", "2:bad arguments"})
public final class TokenCommand implements Callable<Integer> {
  public static final String KEY_FILE = "token-signing-key.pem";

  @Option(names = {"--namespace", "-n"}, required = true, paramLabel = "NS", description = "the pod's namespace")
  String namespace;

  @Option(names = "--service-account", required = true, paramLabel = "SA", description = "the pod's service account")
  String serviceAccount;

  @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = ".gatehouse/state",
      description = "Gatehouse's file-mode state directory (default: ${DEFAULT-VALUE})")
  Path stateDir;

  @Option(names = "--audience", paramLabel = "AUD", description = "token audience, repeatable (default: istio-ca)")
  List<String> audiences = new ArrayList<>();

  @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "12h", converter = GoDuration.class,
      description = "lifetime, e.g. 30m, 12h (default: ${DEFAULT-VALUE})")
  Duration ttl;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    try {
      LocalTokenIssuer issuer = LocalTokenIssuer.loadOrCreate(stateDir.resolve(KEY_FILE), LocalTokenIssuer.DEFAULT_ISSUER);
      spec.commandLine().getOut().println(issuer.mint(namespace, serviceAccount,
          audiences.isEmpty() ? List.of("istio-ca") : audiences, Instant.now(), ttl));
      return 0;
    } catch (IOException e) {
      spec.commandLine().getErr().println("error: " + e.getMessage());
      return 1;
    }
  }

  /** Durations as Go and kubectl spell them ({@code 90s}, {@code 30m}, {@code 12h}, {@code 1h30m}). */
  public static final class GoDuration implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      try {
        return Duration.parse("PT" + value.toUpperCase(Locale.ROOT));
      } catch (DateTimeParseException e) {
        throw new CommandLine.TypeConversionException("not a duration: " + value + " (e.g. 30m, 12h)");
      }
    }
  }

  /** Runs {@code token} as on the command line; a leading {@code token} argument is accepted. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    String[] rest = args.length > 0 && args[0].equals("token") ? Arrays.copyOfRange(args, 1, args.length) : args;
    PrintWriter o = new PrintWriter(new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8), true);
    PrintWriter e = new PrintWriter(new java.io.OutputStreamWriter(err, StandardCharsets.UTF_8), true);
    int code = new CommandLine(new TokenCommand()).setOut(o).setErr(e).execute(rest);
    o.flush();
    e.flush();
    return code;
  }
}
