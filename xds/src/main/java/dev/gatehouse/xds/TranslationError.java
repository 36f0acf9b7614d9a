package dev.gatehouse.xds;

/**
 * A policy that could not be translated (or parsed). Translation never throws for one bad policy: it records an
 * error value naming the policy and applies the fail-closed rule for the workloads it selects.
 *
 * @param policy e.g. "AuthorizationPolicy foo/deny-admin"
 * @param message why, in words an operator understands
 * @param failClosedEffect what Gatehouse did instead, e.g. "denies all requests to workloads it selects"
 */
public record TranslationError(String policy, String message, String failClosedEffect) {}
