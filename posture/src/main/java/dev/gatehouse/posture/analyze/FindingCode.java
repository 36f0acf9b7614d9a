package dev.gatehouse.posture.analyze;

/**
 * The stable finding codes of {@code gatehouse analyze}. A code never changes meaning; a retired code is never reused.
 * docs/posture.md lists every code with an example and the fix.
 */
public enum FindingCode {
  GH0001("selector-matches-nothing", Severity.WARNING,
      "fix the selector or targetRef (labels are case-sensitive), or delete the policy"),
  GH0002("mtls-weaker-than-mesh", Severity.WARNING,
      "remove the override, or set mode STRICT once every client has a mesh identity"),
  GH0003("plaintext-client-to-strict", Severity.WARNING,
      "give the clients a proxy (sidecar or proxyless gRPC), or allow plaintext on that port with portLevelMtls "
          + "PERMISSIVE"),
  GH0004("istio-mutual-to-sidecarless", Severity.ERROR,
      "drop tls.mode ISTIO_MUTUAL from the DestinationRule (auto-mTLS picks plaintext for pods without proxy), or "
          + "give the pods a proxy"),
  GH0005("port-level-mtls-unknown-port", Severity.WARNING,
      "key portLevelMtls by the container (target) port the workload declares"),
  GH0006("namespace-without-default-deny", Severity.WARNING,
      "add an ALLOW policy without rules (allow-nothing) to the namespace, then allow what is needed"),
  GH0007("allow-with-negative-match", Severity.WARNING,
      "state what is allowed positively (principals, paths, ...), or move the negation into a DENY policy"),
  GH0008("http-fields-on-tcp-port", Severity.WARNING,
      "name the Service port with an HTTP protocol (http-, grpc-, appProtocol), or scope the rule with ports to "
          + "HTTP ports"),
  GH0009("destination-rule-tls-without-ca", Severity.WARNING,
      "set tls.caCertificates or tls.credentialName so the client verifies the server"),
  GH0010("jwks-unreachable", Severity.ERROR,
      "fix the jwksUri (or the issuer's endpoint); until then every token of that issuer is rejected"),
  GH0011("jwks-missing-kid", Severity.WARNING,
      "let Gatehouse refetch the key set (or restart it) so proxies get the issuer's current keys"),
  GH0012("probe-or-scrape-port-strict", Severity.ERROR,
      "let Istio rewrite HTTP probes to the agent (port 15020), or list the port in "
          + "gatehouse.xds.plaintext-inbound-ports, or give it portLevelMtls PERMISSIVE"),
  GH0013("workload-cert-ttl-long", Severity.WARNING,
      "set gatehouse.ca.default-workload-cert-ttl to 24h or less"),
  GH0014("ca-certificate-expiring", Severity.ERROR,
      "rotate the root or intermediate now (docs/ca.md), and keep the old root in the bundle until every workload "
          + "has a new certificate"),
  GH0015("policy-failed-to-translate", Severity.ERROR,
      "fix the policy; until then it fails closed as described"),
  GH0016("policy-without-effect", Severity.WARNING,
      "delete the policy or move it where it applies"),
  GH0017("unreadable-input", Severity.ERROR,
      "fix the file or object; Gatehouse skips it entirely"),
  GH0018("mesh-client-plaintext-to-strict", Severity.ERROR,
      "label the destination pods security.istio.io/tlsMode=istio (the injector does), or drop the DestinationRule's "
          + "tls.mode DISABLE, so mesh clients send mTLS");

  private final String slug;
  private final Severity severity;
  private final String fix;

  FindingCode(String slug, Severity severity, String fix) {
    this.slug = slug;
    this.severity = severity;
    this.fix = fix;
  }

  /** A short name that says what the code is about. */
  public String slug() {
    return slug;
  }

  /** The severity a finding of this code has unless the check says otherwise. */
  public Severity severity() {
    return severity;
  }

  /** The usual fix, in one sentence. */
  public String fix() {
    return fix;
  }
}
