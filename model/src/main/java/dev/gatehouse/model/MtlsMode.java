package dev.gatehouse.model;

/** Peer authentication mode, as in Istio's PeerAuthentication.MutualTLS.Mode. */
public enum MtlsMode {
  UNSET,
  DISABLE,
  PERMISSIVE,
  STRICT
}
