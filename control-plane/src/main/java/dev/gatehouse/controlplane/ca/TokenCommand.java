package dev.gatehouse.controlplane.ca;

import dev.gatehouse.ca.auth.LocalTokenIssuer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code token --namespace <ns> --service-account <sa> [--state-dir <dir>] [--audience <aud>] [--ttl <duration>]}:
 * mints a service-account-shaped token with file mode's local issuer key ({@code <state>/token-signing-key.pem},
 * created if absent), which a Gatehouse started on the same state directory accepts as {@code authorization: Bearer}
 * on CreateCertificate. Spring-less: it starts nothing. Prints the token on stdout.
 */
public final class TokenCommand {
  public static final String KEY_FILE = "token-signing-key.pem";

  private TokenCommand() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    String namespace = null;
    String serviceAccount = null;
    Path stateDir = Path.of(".gatehouse", "state");
    List<String> audiences = new ArrayList<>();
    Duration ttl = Duration.ofHours(12);
    try {
      for (int i = 0; i < args.length; i++) {
        String arg = args[i];
        if (arg.equals("token") && i == 0) {
          continue;
        }
        String value = i + 1 < args.length ? args[i + 1] : null;
        switch (arg) {
          case "--namespace", "-n" -> namespace = require(arg, value);
          case "--service-account" -> serviceAccount = require(arg, value);
          case "--state-dir" -> stateDir = Path.of(require(arg, value));
          case "--audience" -> audiences.add(require(arg, value));
          case "--ttl" -> ttl = Duration.parse("PT" + require(arg, value).toUpperCase());
          default -> throw new IllegalArgumentException("unknown option " + arg);
        }
        i++;
      }
      if (namespace == null || serviceAccount == null) {
        throw new IllegalArgumentException("--namespace and --service-account are required");
      }
      LocalTokenIssuer issuer = LocalTokenIssuer.loadOrCreate(stateDir.resolve(KEY_FILE), LocalTokenIssuer.DEFAULT_ISSUER);
      out.println(issuer.mint(namespace, serviceAccount, audiences.isEmpty() ? List.of("istio-ca") : audiences, Instant.now(), ttl));
      return 0;
    } catch (IllegalArgumentException | java.time.format.DateTimeParseException e) {
      err.println("error: " + e.getMessage());
      err.println("usage: token --namespace <ns> --service-account <sa> [--state-dir <dir>] [--audience <aud>] [--ttl 12h]");
      return 2;
    } catch (IOException e) {
      err.println("error: " + e.getMessage());
      return 1;
    }
  }

  private static String require(String option, String value) {
    if (value == null || value.startsWith("--")) {
      throw new IllegalArgumentException(option + " needs a value");
    }
    return value;
  }
}
