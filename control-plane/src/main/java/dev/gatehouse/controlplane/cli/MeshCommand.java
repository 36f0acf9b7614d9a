package dev.gatehouse.controlplane.cli;

import dev.gatehouse.posture.MeshPosture;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/** What the four posture commands share: where the mesh comes from, and printing. */
abstract class MeshCommand {
  @Mixin
  MeshOptions mesh;

  @Spec
  CommandLine.Model.CommandSpec spec;

  PostureSource source() {
    CliLogging.warningsToStderr();
    if (mesh.server != null) {
      if (mesh.dir != null || mesh.kubeconfig != null) {
        throw new CliException(GatehouseCli.USAGE, "give one of -f, --kubeconfig, --server");
      }
      String scheme = mesh.server.getScheme();
      if (scheme == null || !(scheme.equals("http") || scheme.equals("https")) || mesh.server.getHost() == null) {
        throw new CliException(GatehouseCli.USAGE, "--server needs an http(s) URL, e.g. http://127.0.0.1:15014");
      }
      return new ServerPosture(mesh.server, mesh.timeout);
    }
    if (mesh.dir != null && mesh.kubeconfig != null) {
      throw new CliException(GatehouseCli.USAGE, "give one of -f, --kubeconfig, --server");
    }
    return new LocalPosture(MeshPosture.of(MeshReader.read(mesh)));
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  void print(String text) {
    PrintWriter out = out();
    out.print(text.endsWith("\n") ? text : text + "\n");
    out.flush();
  }
}
