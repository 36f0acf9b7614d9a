package dev.gatehouse.ca.signer.vault;

import java.util.Optional;
import org.springframework.scheduling.TaskScheduler;
import org.springframework.vault.authentication.ClientAuthentication;
import org.springframework.vault.authentication.LifecycleAwareSessionManager;
import org.springframework.vault.authentication.LifecycleAwareSessionManagerSupport;
import org.springframework.web.client.RestOperations;

/**
 * Spring Vault's session manager (login on first use, renewal before expiry, a new login when renewal fails or the
 * token reaches its max TTL), plus one thing it does not offer: dropping a token Vault refused (403) without revoking
 * it, so the next call logs in again. Revoking would destroy an operator-supplied token. Thread-safe (Spring's).
 */
final class VaultSession extends LifecycleAwareSessionManager {
  VaultSession(ClientAuthentication authentication, TaskScheduler scheduler, RestOperations rest,
      LifecycleAwareSessionManagerSupport.RefreshTrigger trigger) {
    super(authentication, scheduler, rest, trigger);
  }

  /** Forgets the current token; the next {@link #getSessionToken()} logs in again. */
  void forgetToken() {
    setToken(Optional.empty());
  }
}
