package dev.gatehouse.controlplane;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** Gatehouse control plane entry point. */
@SpringBootApplication
public class GatehouseApplication {
  public static void main(String[] args) {
    SpringApplication.run(GatehouseApplication.class, args);
  }
}
