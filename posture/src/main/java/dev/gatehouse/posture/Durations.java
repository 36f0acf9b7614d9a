package dev.gatehouse.posture;

import java.time.Duration;

/** Durations the way Gatehouse's properties spell them: {@code 24h}, {@code 90d}, {@code 1h30m}, {@code 45s}. */
public final class Durations {
  private Durations() {}

  public static String format(Duration d) {
    if (d.isZero()) {
      return "0s";
    }
    long s = d.getSeconds();
    StringBuilder b = new StringBuilder(d.isNegative() ? "-" : "");
    s = Math.abs(s);
    long days = s / 86_400;
    // Whole days read better as days only when there is no smaller unit left (2160h is 90d).
    if (days > 0 && s % 86_400 == 0) {
      return b.append(days).append('d').toString();
    }
    long hours = s / 3600;
    long minutes = (s % 3600) / 60;
    long seconds = s % 60;
    if (hours > 0) {
      b.append(hours).append('h');
    }
    if (minutes > 0) {
      b.append(minutes).append('m');
    }
    if (seconds > 0) {
      b.append(seconds).append('s');
    }
    return b.toString();
  }
}
