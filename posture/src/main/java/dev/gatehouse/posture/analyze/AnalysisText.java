package dev.gatehouse.posture.analyze;

/** {@code gatehouse analyze} as text for a terminal (and a CI log). Pure. */
public final class AnalysisText {
  private AnalysisText() {}

  public static String render(Analysis a) {
    StringBuilder b = new StringBuilder();
    for (Finding f : a.findings()) {
      b.append(String.format("%-7s %s %s  %s%n", f.severity().label().toUpperCase(java.util.Locale.ROOT), f.code(),
          f.name(), f.object()));
      b.append("        ").append(f.message()).append('\n');
      b.append("        fix: ").append(f.fix()).append("\n\n");
    }
    b.append(summary(a)).append('\n');
    return b.toString();
  }

  public static String summary(Analysis a) {
    int n = a.findings().size();
    return (n == 0 ? "no findings" : n + (n == 1 ? " finding" : " findings")) + " in " + a.source() + ": "
        + a.counts().get("error") + " error(s), " + a.counts().get("warning") + " warning(s), "
        + a.counts().get("info") + " info";
  }
}
