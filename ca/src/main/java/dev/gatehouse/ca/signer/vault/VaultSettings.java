package dev.gatehouse.ca.signer.vault;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How Gatehouse reaches Vault PKI.
 *
 * @param address Vault's address ({@code https://vault.vault.svc:8200})
 * @param namespace Vault Enterprise namespace ({@code X-Vault-Namespace}), empty for none
 * @param mount the PKI secrets engine's mount ({@code pki})
 * @param role the PKI role leaves are signed with ({@code sign/<role>})
 * @param intermediatePath path under the mount that signs Gatehouse's intermediate ({@code root/sign-intermediate},
 *     or {@code issuer/<ref>/sign-intermediate})
 * @param caBundle PEM file of the CAs that sign Vault's TLS certificate; null = the JVM's default trust store
 * @param connectTimeout per attempt
 * @param readTimeout per attempt
 * @param maxAttempts attempts per call on connection errors and 5xx (1 = no retry)
 * @param backoff first pause between attempts; doubles, at most 2 s
 * @param deadline no new attempt starts after this much time since the call began
 * @param auth how Gatehouse logs in
 * @param tokenRenewBefore renew (or log in again) this long before the Vault token expires
 */
public record VaultSettings(URI address, String namespace, String mount, String role, String intermediatePath,
    Path caBundle, Duration connectTimeout, Duration readTimeout, int maxAttempts, Duration backoff, Duration deadline,
    Auth auth, Duration tokenRenewBefore) {
  public VaultSettings {
    Objects.requireNonNull(address, "address");
    namespace = namespace == null ? "" : namespace.trim();
    mount = trimSlashes(Objects.requireNonNull(mount, "mount"));
    role = role == null ? "" : role.trim();
    intermediatePath = trimSlashes(intermediatePath == null ? "root/sign-intermediate" : intermediatePath);
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    Objects.requireNonNull(readTimeout, "readTimeout");
    Objects.requireNonNull(backoff, "backoff");
    Objects.requireNonNull(deadline, "deadline");
    Objects.requireNonNull(auth, "auth");
    Objects.requireNonNull(tokenRenewBefore, "tokenRenewBefore");
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("gatehouse.ca.vault.max-attempts must be at least 1");
    }
    if (mount.isEmpty()) {
      throw new IllegalArgumentException("gatehouse.ca.vault.pki-mount must not be empty");
    }
  }

  private static String trimSlashes(String path) {
    String p = path.trim();
    while (p.startsWith("/")) {
      p = p.substring(1);
    }
    while (p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    return p;
  }

  /** How Gatehouse authenticates to Vault. */
  public sealed interface Auth {
    /** What the login is, for messages ({@code kubernetes auth at auth/kubernetes, role gatehouse}). */
    String describe();
  }

  /**
   * A Vault token, read from {@code tokenFile} at every (re-)login so a Vault Agent sink or a rotated Secret is picked
   * up; or given inline (discouraged: it ends up in the process arguments).
   */
  public record TokenAuth(Path tokenFile, String token) implements Auth {
    @Override
    public String describe() {
      return tokenFile != null ? "token from " + tokenFile : "token";
    }
  }

  /**
   * Kubernetes auth: {@code POST /v1/auth/<mount>/login {role, jwt}} with Gatehouse's own projected service-account
   * token (read from {@code tokenFile} at every login: kubelet rotates it).
   */
  public record KubernetesAuth(String mount, String role, Path tokenFile) implements Auth {
    public KubernetesAuth {
      Objects.requireNonNull(mount, "mount");
      Objects.requireNonNull(role, "role");
      Objects.requireNonNull(tokenFile, "tokenFile");
    }

    @Override
    public String describe() {
      return "kubernetes auth at auth/" + mount + ", role " + role;
    }
  }

  /** AppRole: {@code POST /v1/auth/<mount>/login {role_id, secret_id}}; the secret id is read from a file at every login. */
  public record AppRoleAuth(String mount, String roleId, Path secretIdFile) implements Auth {
    public AppRoleAuth {
      Objects.requireNonNull(mount, "mount");
      Objects.requireNonNull(roleId, "roleId");
    }

    @Override
    public String describe() {
      return "approle auth at auth/" + mount + ", role id " + roleId;
    }
  }
}
