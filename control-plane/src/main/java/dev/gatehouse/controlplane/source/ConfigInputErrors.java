package dev.gatehouse.controlplane.source;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where bad input is reported: one WARN line naming the file or object and the reason, and the counter
 * {@code gatehouse_config_input_errors_total{source,reason}}. Objects of kinds Gatehouse does not read are counted in
 * {@code gatehouse_config_ignored_objects_total{source,kind}} and logged at INFO. Thread-safe.
 */
public final class ConfigInputErrors {
  private static final Logger log = LoggerFactory.getLogger(ConfigInputErrors.class);

  /** Bounded set of reasons, so the metric's cardinality stays small. */
  public enum Reason {
    /** The file is not YAML/JSON, or could not be read. */
    NOT_YAML("not-yaml"),
    /** A document that cannot be used as an object: no kind/name, not a mapping, unknown kind in a known group. */
    INVALID_OBJECT("invalid-object"),
    /** An Istio resource whose spec does not parse. */
    INVALID_SPEC("invalid-spec"),
    /** The same object is defined in two places; one of them is used. */
    DUPLICATE("duplicate");

    private final String tag;

    Reason(String tag) {
      this.tag = tag;
    }

    public String tag() {
      return tag;
    }
  }

  private final MeterRegistry registry;
  private final Listener rejected;

  /** Told of every rejected input as well: the CLI lists them as findings. */
  @FunctionalInterface
  public interface Listener {
    void rejected(Reason reason, String what, String detail);
  }

  public ConfigInputErrors(MeterRegistry registry) {
    this(registry, (reason, what, detail) -> {});
  }

  public ConfigInputErrors(MeterRegistry registry, Listener rejected) {
    this.registry = registry;
    this.rejected = rejected;
  }

  public void report(String source, Reason reason, String what, String detail) {
    log.warn("Rejected config input: {}: {} [{}]", what, detail, reason.tag());
    rejected.rejected(reason, what, detail);
    counter(source, reason).increment();
  }

  public void ignored(String source, String kind, String what, String why) {
    log.info("Ignoring {}: {}", what, why);
    Counter.builder("gatehouse.config.ignored.objects")
        .description("Objects of kinds Gatehouse does not read")
        .tag("source", source)
        .tag("kind", kind == null || kind.isBlank() ? "unknown" : kind)
        .register(registry)
        .increment();
  }

  public double count(String source, Reason reason) {
    return counter(source, reason).count();
  }

  private Counter counter(String source, Reason reason) {
    return Counter.builder("gatehouse.config.input.errors")
        .description("Config input that was skipped: unreadable files, invalid objects, invalid policy specs")
        .tag("source", source)
        .tag("reason", reason.tag())
        .register(registry);
  }
}
