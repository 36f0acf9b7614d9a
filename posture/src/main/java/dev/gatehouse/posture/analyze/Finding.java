package dev.gatehouse.posture.analyze;

import java.util.Objects;

/**
 * One thing {@code analyze} found.
 *
 * @param code the stable code ({@code GH0001}...)
 * @param name the code's short name
 * @param severity error, warning or info
 * @param object the object concerned: {@code Kind namespace/name} (a port: {@code Pod ns/name port 8080})
 * @param message what is wrong, in an operator's words
 * @param fix what to do about it
 */
public record Finding(String code, String name, Severity severity, String object, String message, String fix) {
  public Finding {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(severity, "severity");
    Objects.requireNonNull(object, "object");
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(fix, "fix");
  }

  public static Finding of(FindingCode code, String object, String message) {
    return of(code, code.severity(), object, message);
  }

  public static Finding of(FindingCode code, Severity severity, String object, String message) {
    return new Finding(code.name(), code.slug(), severity, object, message, code.fix());
  }
}
