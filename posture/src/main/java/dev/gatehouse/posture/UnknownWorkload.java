package dev.gatehouse.posture;

/** A pod named on the command line or in a request is not in the mesh snapshot. */
public final class UnknownWorkload extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UnknownWorkload(String namespaceSlashName) {
    super("no pod " + namespaceSlashName + " in the mesh (expected namespace/name)");
  }
}
