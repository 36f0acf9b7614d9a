package dev.gatehouse.ca.server;

import dev.gatehouse.ca.auth.AuthenticationRequest;
import io.grpc.Context;

/**
 * The gRPC {@link Context} slot where {@link CallerCredentialsInterceptor} puts the credentials of the current call,
 * for any service on Gatehouse's gRPC servers (the CA, the xDS server) to authenticate with the same
 * authenticators.
 */
public final class CallerCredentials {
  static final Context.Key<AuthenticationRequest> KEY = Context.key("gatehouse-caller-credentials");

  private CallerCredentials() {}

  /** The current call's credentials; empty credentials when none were attached. */
  public static AuthenticationRequest current() {
    AuthenticationRequest request = KEY.get();
    return request == null ? AuthenticationRequest.none() : request;
  }

  public static Context attach(Context context, AuthenticationRequest request) {
    return context.withValue(KEY, request);
  }
}
