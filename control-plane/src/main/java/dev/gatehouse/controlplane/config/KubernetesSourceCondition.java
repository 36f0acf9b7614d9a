package dev.gatehouse.controlplane.config;

import java.nio.file.Path;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/** Matches when the {@link SourceSelection} is Kubernetes, so the Kubernetes client exists only in that mode. */
public final class KubernetesSourceCondition implements Condition {
  @Override
  public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
    Binder binder = Binder.get(context.getEnvironment());
    SourceMode mode = binder.bind("gatehouse.source", SourceMode.class).orElse(SourceMode.AUTO);
    String dir = binder.bind("gatehouse.config.dir", String.class).orElse("");
    try {
      return SourceSelection.resolve(mode, dir.isBlank() ? null : Path.of(dir), RuntimeEnvironment.detect()).mode() == SourceMode.KUBERNETES;
    } catch (IllegalStateException e) {
      return false; // the config source bean reports the problem with its full explanation
    }
  }
}
