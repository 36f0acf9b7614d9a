package dev.gatehouse.controlplane.web;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.Label;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.PrometheusNaming;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The Prometheus text format (0.0.4) as istiod's {@code /metrics} writes it. istiod exports through OpenTelemetry's
 * Prometheus exporter with {@code WithoutCounterSuffixes()} and {@code WithoutUnits()} (istio pkg/monitoring), so a
 * counter keeps its own name: {@code # TYPE citadel_server_csr_count counter} then {@code citadel_server_csr_count 3}.
 * client_java's writer always appends {@code _total} to counters, which breaks Istio's dashboards and alerts; here
 * counters are written without it and every other metric type by client_java's writer unchanged. Units are never
 * appended because Gatehouse's Istio-named meters carry no base unit. Stateless, thread-safe.
 */
public final class IstioMetricsText {
  public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

  private static final PrometheusTextFormatWriter OTHERS = PrometheusTextFormatWriter.create();

  private IstioMetricsText() {}

  public static String write(MetricSnapshots snapshots) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
    try {
      for (MetricSnapshot s : snapshots) {
        if (s.getDataPoints().isEmpty()) {
          continue;
        }
        if (s instanceof CounterSnapshot c && legacyNames(c)) {
          out.writeBytes(counter(c).getBytes(StandardCharsets.UTF_8));
        } else {
          OTHERS.write(out, MetricSnapshots.of(s));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** Names that need no escaping (all of Gatehouse's); anything else is left to client_java's writer. */
  private static boolean legacyNames(CounterSnapshot c) {
    if (!PrometheusNaming.isValidLegacyMetricName(c.getMetadata().getPrometheusName())) {
      return false;
    }
    for (CounterSnapshot.CounterDataPointSnapshot p : c.getDataPoints()) {
      for (Label l : p.getLabels()) {
        if (!PrometheusNaming.isValidLegacyLabelName(l.getName())) {
          return false;
        }
      }
    }
    return true;
  }

  private static String counter(CounterSnapshot c) {
    String name = c.getMetadata().getPrometheusName();
    StringBuilder b = new StringBuilder(128);
    String help = c.getMetadata().getHelp();
    if (help != null && !help.isEmpty()) {
      b.append("# HELP ").append(name).append(' ');
      for (int i = 0; i < help.length(); i++) {
        char ch = help.charAt(i);
        if (ch == '\\') {
          b.append("\\\\");
        } else if (ch == '\n') {
          b.append("\\n");
        } else {
          b.append(ch);
        }
      }
      b.append('\n');
    }
    b.append("# TYPE ").append(name).append(" counter\n");
    for (CounterSnapshot.CounterDataPointSnapshot p : c.getDataPoints()) {
      b.append(name);
      if (!p.getLabels().isEmpty()) {
        b.append('{');
        boolean first = true;
        for (Label l : p.getLabels()) {
          if (!first) {
            b.append(',');
          }
          first = false;
          b.append(l.getName()).append("=\"");
          escapeLabelValue(b, l.getValue());
          b.append('"');
        }
        b.append('}');
      }
      b.append(' ').append(value(p.getValue()));
      if (p.hasScrapeTimestamp()) {
        b.append(' ').append(p.getScrapeTimestampMillis());
      }
      b.append('\n');
    }
    return b.toString();
  }

  private static void escapeLabelValue(StringBuilder b, String v) {
    for (int i = 0; i < v.length(); i++) {
      char ch = v.charAt(i);
      switch (ch) {
        case '\\' -> b.append("\\\\");
        case '"' -> b.append("\\\"");
        case '\n' -> b.append("\\n");
        default -> b.append(ch);
      }
    }
  }

  private static String value(double d) {
    if (d == Double.POSITIVE_INFINITY) {
      return "+Inf";
    }
    if (d == Double.NEGATIVE_INFINITY) {
      return "-Inf";
    }
    return Double.toString(d);
  }
}
