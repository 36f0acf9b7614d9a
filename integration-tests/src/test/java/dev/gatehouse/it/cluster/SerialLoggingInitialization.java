package dev.gatehouse.it.cluster;

import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.boot.context.event.ApplicationFailedEvent;
import org.springframework.boot.context.event.ApplicationStartingEvent;
import org.springframework.boot.context.logging.LoggingApplicationListener;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.core.Ordered;

/**
 * Lets Gatehouse instances started at the same moment in one JVM (the HA test's three replicas) set up logging one
 * after the other. A JVM has one Logback context, and Spring Boot's {@link LoggingApplicationListener} resets and
 * reconfigures it on each start, from {@link ApplicationStartingEvent} to {@link ApplicationEnvironmentPreparedEvent}.
 * That is not safe concurrently: one start's reset can clear the properties and the Spring Environment another start
 * is configuring its console encoder from (its {@code ${CONSOLE_LOG_STRUCTURED_FORMAT}} then resolves to
 * {@code CONSOLE_LOG_STRUCTURED_FORMAT_IS_UNDEFINED}, a structured encoder is built, and it fails with "Unable to find
 * Spring Environment in logger context"). In the chart each replica is its own JVM, so this is the harness's
 * concern only. Everything after the environment is prepared (the CA Secret, the Lease, the servers) still runs
 * concurrently.
 */
final class SerialLoggingInitialization {
  private static final ReentrantLock LOGGING_SETUP = new ReentrantLock();

  private SerialLoggingInitialization() {}

  /** The two listeners to add to the application: one before Spring Boot's logging listener, one after it. */
  static List<ApplicationListener<?>> listeners() {
    return List.of(new Acquire(), new Release());
  }

  private static final class Acquire implements ApplicationListener<ApplicationStartingEvent>, Ordered {
    @Override
    public void onApplicationEvent(ApplicationStartingEvent event) {
      LOGGING_SETUP.lock();
    }

    @Override
    public int getOrder() {
      return Ordered.HIGHEST_PRECEDENCE; // before LoggingApplicationListener (HIGHEST_PRECEDENCE + 20)
    }
  }

  private static final class Release implements ApplicationListener<ApplicationEvent>, Ordered {
    @Override
    public void onApplicationEvent(ApplicationEvent event) {
      // A start that fails before its environment is prepared releases too (same thread: Spring Boot publishes
      // these events on the thread that runs the application).
      if ((event instanceof ApplicationEnvironmentPreparedEvent || event instanceof ApplicationFailedEvent)
          && LOGGING_SETUP.isHeldByCurrentThread()) {
        LOGGING_SETUP.unlock();
      }
    }

    @Override
    public int getOrder() {
      return Ordered.LOWEST_PRECEDENCE; // after LoggingApplicationListener
    }
  }
}
