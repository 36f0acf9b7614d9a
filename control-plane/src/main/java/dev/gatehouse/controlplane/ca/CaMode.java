package dev.gatehouse.controlplane.ca;

/**
 * Which signer back-end the workload CA uses ({@code gatehouse.ca.mode}). Spring binds the value leniently, so
 * {@code self-signed}, {@code selfSigned} and {@code SELF_SIGNED} all name {@link #SELF_SIGNED} (the Helm chart
 * writes camelCase).
 */
public enum CaMode {
  /** Today's behaviour: the plugged-in intermediate when its material is present, else the self-signed root. */
  AUTO,
  /** The self-signed root, even when plugged-in material is present. */
  SELF_SIGNED,
  /** The plugged-in intermediate only; the CA stays not ready (and says why) until valid material is there. */
  PLUGGED,
  /** HashiCorp Vault PKI as the upstream ({@code gatehouse.ca.vault.*}). */
  VAULT,
  /** A SPIRE Server as the upstream, over its Server API socket ({@code gatehouse.ca.spire.*}). */
  SPIRE
}
