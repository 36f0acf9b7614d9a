package dev.gatehouse.it.agent;

import java.util.Objects;

/** The SPIFFE identity a pod's service account stands for: {@code spiffe://<td>/ns/<ns>/sa/<sa>}. */
public record WorkloadIdentity(String trustDomain, String namespace, String serviceAccount) {
  public WorkloadIdentity {
    Objects.requireNonNull(trustDomain, "trustDomain");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(serviceAccount, "serviceAccount");
  }

  public String spiffeId() {
    return "spiffe://" + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount;
  }

  @Override
  public String toString() {
    return spiffeId();
  }
}
