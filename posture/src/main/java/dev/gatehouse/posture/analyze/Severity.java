package dev.gatehouse.posture.analyze;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** How bad a finding is; {@code analyze --fail-on} compares against it. */
public enum Severity {
  /** Access is open that policy meant closed, traffic that should work fails, or config fails closed. */
  ERROR,
  /** A weaker setting than the mesh's, or a policy that does not do what it reads like. */
  WARNING,
  /** Worth knowing; nothing is wrong by itself. */
  INFO;

  /** True when this is as severe as {@code threshold} or more. */
  public boolean atLeast(Severity threshold) {
    return ordinal() <= threshold.ordinal();
  }

  @JsonValue
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** {@code error}, {@code warning} or {@code info}, any case. */
  @JsonCreator
  public static Severity parse(String s) {
    for (Severity v : values()) {
      if (v.name().equalsIgnoreCase(s)) {
        return v;
      }
    }
    throw new IllegalArgumentException("not a severity: " + s + " (error, warning, info)");
  }
}
