package dev.gatehouse.it.helm;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.BindHandler;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.handler.NoUnboundElementsBindHandler;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.context.annotation.ClassPathScanningCandidateComponentProvider;
import org.springframework.core.type.filter.AnnotationTypeFilter;

/**
 * Checks command-line arguments against Gatehouse's real {@code @ConfigurationProperties} classes (found on the
 * classpath, so properties added by any part are covered): every {@code --gatehouse.*} argument must bind to a
 * property of the class owning the longest matching prefix, with the value converting to the property's type.
 * Spring itself ignores unknown properties, so without this a misspelt argument would silently do nothing.
 */
final class ChartArguments {
  private ChartArguments() {}

  /** The {@code @ConfigurationProperties} classes under dev.gatehouse, by prefix. */
  static Map<String, Class<?>> propertiesClasses() {
    ClassPathScanningCandidateComponentProvider scanner = new ClassPathScanningCandidateComponentProvider(false);
    scanner.addIncludeFilter(new AnnotationTypeFilter(ConfigurationProperties.class));
    Map<String, Class<?>> out = new TreeMap<>();
    for (BeanDefinition candidate : scanner.findCandidateComponents("dev.gatehouse")) {
      try {
        Class<?> type = Class.forName(candidate.getBeanClassName());
        ConfigurationProperties annotation = type.getAnnotation(ConfigurationProperties.class);
        String prefix = annotation.value().isEmpty() ? annotation.prefix() : annotation.value();
        out.put(prefix, type);
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException(e);
      }
    }
    return out;
  }

  static Map<String, String> properties(List<String> args) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String a : args) {
      if (!a.startsWith("--") || !a.contains("=")) {
        throw new AssertionError("not a --property=value argument: " + a);
      }
      String key = a.substring(2, a.indexOf('='));
      if (out.containsKey(key)) {
        throw new AssertionError("argument given twice (Spring would join the values with a comma): " + key);
      }
      out.put(key, a.substring(a.indexOf('=') + 1));
    }
    return out;
  }

  static <T> T bind(List<String> args, String prefix, Class<T> type) {
    return new Binder(new MapConfigurationPropertySource(properties(args))).bindOrCreate(prefix, type);
  }

  /** Fails naming the argument when one does not bind, is unknown, or does not convert. */
  static void assertEveryGatehousePropertyBinds(List<String> args) {
    Map<String, Class<?>> classes = propertiesClasses();
    List<String> prefixes = new ArrayList<>(classes.keySet());
    prefixes.sort(Comparator.comparingInt(String::length).reversed());
    Map<String, Map<String, String>> byOwner = new LinkedHashMap<>();
    properties(args).forEach((key, value) -> {
      if (!key.startsWith("gatehouse.")) {
        return;
      }
      String owner = prefixes.stream().filter(p -> key.startsWith(p + ".")).findFirst()
          .orElseThrow(() -> new AssertionError("no properties class owns " + key + " (classes: " + classes + ")"));
      byOwner.computeIfAbsent(owner, o -> new LinkedHashMap<>()).put(key, value);
    });
    byOwner.forEach((prefix, props) -> {
      Binder binder = new Binder(new MapConfigurationPropertySource(props));
      try {
        binder.bindOrCreate(prefix, Bindable.of(classes.get(prefix)), new NoUnboundElementsBindHandler(BindHandler.DEFAULT));
      } catch (RuntimeException e) {
        Throwable cause = e;
        while (cause.getCause() != null) {
          cause = cause.getCause();
        }
        throw new AssertionError("arguments " + props + " do not bind to " + classes.get(prefix).getSimpleName()
            + ": " + cause.getMessage(), e);
      }
    });
  }
}
