package dev.gatehouse.controlplane;

import dev.gatehouse.controlplane.cli.GatehouseCli;
import dev.gatehouse.controlplane.cli.ServeCommand;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * Gatehouse control plane entry point: the {@code gatehouse} command line ({@link GatehouseCli}). Without a
 * subcommand it serves: {@code --config-dir <dir>} serves a directory of Kubernetes YAML; without it, Gatehouse reads
 * the Kubernetes API when it runs in a cluster or finds a kubeconfig. Every setting is a Spring property under
 * {@code gatehouse.*} (see README.md). {@code token}, {@code describe}, {@code explain}, {@code analyze} and
 * {@code posture} run and exit (docs/ca.md, docs/posture.md).
 */
@SpringBootApplication
public class GatehouseApplication {
  public static void main(String[] args) {
    Charset cs = Charset.defaultCharset();
    PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(System.out, cs), true);
    PrintWriter err = new PrintWriter(new java.io.OutputStreamWriter(System.err, cs), true);
    int code = GatehouseCli.execute(args, out, err);
    out.flush();
    err.flush();
    if (code != ServeCommand.SERVING) {
      System.exit(code);
    }
  }
}
