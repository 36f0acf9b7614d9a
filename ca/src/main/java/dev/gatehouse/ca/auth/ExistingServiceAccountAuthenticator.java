package dev.gatehouse.ca.auth;

import java.util.Objects;

/**
 * Holds a token authenticator to the service accounts that exist: an identity the delegate proved is refused when
 * {@link ServiceAccountDirectory} does not know its namespace or service account (a correctly signed token for
 * {@code ghost/teller} gets nothing when the mesh has no such account), and the result is {@code Unavailable} until
 * the directory has loaded. Checked on every call, cached tokens included, so removing a service account takes effect
 * on the next request. Keeps the delegate's name for audit lines and metrics. Thread-safe if both parts are.
 */
public final class ExistingServiceAccountAuthenticator implements CallerAuthenticator {
  private final CallerAuthenticator delegate;
  private final ServiceAccountDirectory directory;

  public ExistingServiceAccountAuthenticator(CallerAuthenticator delegate, ServiceAccountDirectory directory) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
    this.directory = Objects.requireNonNull(directory, "directory");
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public AuthenticationResult authenticate(AuthenticationRequest request) {
    AuthenticationResult result = delegate.authenticate(request);
    if (!(result instanceof AuthenticationResult.Authenticated authenticated)) {
      return result;
    }
    CallerIdentity identity = authenticated.identity();
    String account = identity.namespace() + "/" + identity.serviceAccount();
    return switch (directory.lookup(identity.namespace(), identity.serviceAccount())) {
      case PRESENT -> result;
      case NAMESPACE_ABSENT -> new AuthenticationResult.Rejected(name(),
          "token is for " + account + " but namespace " + identity.namespace() + " is not in the mesh configuration");
      case SERVICE_ACCOUNT_ABSENT -> new AuthenticationResult.Rejected(name(),
          "token is for " + account + " but service account " + account + " is not in the mesh configuration");
      case NOT_LOADED -> new AuthenticationResult.Unavailable(name(), "mesh configuration not loaded yet");
    };
  }
}
