package dev.gatehouse.controlplane.cli;

/** {@code --format}: {@code text} for a terminal, {@code json} for tools, {@code html} for the posture report. */
public enum OutputFormat {
  text,
  json,
  html
}
