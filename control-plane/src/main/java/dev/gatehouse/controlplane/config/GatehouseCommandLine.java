package dev.gatehouse.controlplane.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Gatehouse's own command-line options, rewritten into Spring properties before Spring sees the arguments.
 * {@code --config-dir <dir>} and {@code --config-dir=<dir>} both become {@code --gatehouse.config.dir=<dir>};
 * every other argument passes through unchanged (so {@code --gatehouse.config.dir=<dir>} works as well).
 */
public final class GatehouseCommandLine {
  private static final String CONFIG_DIR = "--config-dir";

  private GatehouseCommandLine() {}

  public static String[] toSpringArguments(String... args) {
    List<String> out = new ArrayList<>(args.length);
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals(CONFIG_DIR)) {
        if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
          throw new IllegalArgumentException("--config-dir needs a directory, e.g. --config-dir examples");
        }
        out.add("--gatehouse.config.dir=" + args[++i]);
      } else if (a.startsWith(CONFIG_DIR + "=")) {
        out.add("--gatehouse.config.dir=" + a.substring(CONFIG_DIR.length() + 1));
      } else {
        out.add(a);
      }
    }
    return out.toArray(String[]::new);
  }
}
