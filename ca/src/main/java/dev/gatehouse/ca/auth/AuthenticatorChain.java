package dev.gatehouse.ca.auth;

import java.util.ArrayList;
import java.util.List;

/**
 * Istio's authenticator order (pilot/pkg/bootstrap/server.go): authenticators are tried in turn and the first
 * success wins. If none succeeds the result is {@link AuthenticationResult.Unavailable} when any authenticator
 * could not decide (so the caller retries rather than giving up), otherwise {@link AuthenticationResult.Rejected}
 * naming every reason. Thread-safe (immutable).
 */
public final class AuthenticatorChain implements CallerAuthenticator {
  private final List<CallerAuthenticator> authenticators;

  public AuthenticatorChain(List<CallerAuthenticator> authenticators) {
    this.authenticators = List.copyOf(authenticators);
  }

  @Override
  public String name() {
    return "chain";
  }

  public List<CallerAuthenticator> authenticators() {
    return authenticators;
  }

  @Override
  public AuthenticationResult authenticate(AuthenticationRequest request) {
    List<String> reasons = new ArrayList<>();
    AuthenticationResult.Unavailable unavailable = null;
    for (CallerAuthenticator authenticator : authenticators) {
      AuthenticationResult result;
      try {
        result = authenticator.authenticate(request);
      } catch (RuntimeException e) {
        // Fail closed: a broken authenticator never authenticates anyone.
        result = new AuthenticationResult.Rejected(authenticator.name(), "authenticator error: " + e.getClass().getSimpleName());
      }
      if (result instanceof AuthenticationResult.Authenticated) {
        return result;
      }
      if (result instanceof AuthenticationResult.Rejected rejected) {
        reasons.add(rejected.authenticator() + ": " + rejected.reason());
      } else if (result instanceof AuthenticationResult.Unavailable u) {
        reasons.add(u.authenticator() + ": " + u.reason());
        if (unavailable == null) {
          unavailable = u;
        }
      }
    }
    if (unavailable != null) {
      return new AuthenticationResult.Unavailable(unavailable.authenticator(), String.join("; ", reasons));
    }
    if (reasons.isEmpty()) {
      return new AuthenticationResult.Rejected(name(), "no credentials: neither a client certificate nor a bearer token");
    }
    return new AuthenticationResult.Rejected(name(), String.join("; ", reasons));
  }
}
