package dev.gatehouse.ca.server;

import dev.gatehouse.api.istio.ca.v1.IstioCertificateRequest;
import dev.gatehouse.api.istio.ca.v1.IstioCertificateResponse;
import dev.gatehouse.api.istio.ca.v1.IstioCertificateServiceGrpc;
import dev.gatehouse.ca.CaException;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code istio.v1.auth.IstioCertificateService/CreateCertificate}, wire-compatible with istiod: errors map to
 * UNAUTHENTICATED, PERMISSION_DENIED, INVALID_ARGUMENT (with the reason), UNAVAILABLE (retry) or INTERNAL (CA not
 * ready, signing failed); a status never carries a stack trace. Must be served behind
 * {@link CallerCredentialsInterceptor}. Thread-safe.
 */
public final class IstioCertificateServer extends IstioCertificateServiceGrpc.IstioCertificateServiceImplBase {
  private static final Logger log = LoggerFactory.getLogger(IstioCertificateServer.class);
  private final WorkloadCertificateAuthority authority;

  public IstioCertificateServer(WorkloadCertificateAuthority authority) {
    this.authority = Objects.requireNonNull(authority, "authority");
  }

  @Override
  public void createCertificate(IstioCertificateRequest request, StreamObserver<IstioCertificateResponse> response) {
    List<String> chain;
    try {
      chain = authority.createCertificate(CallerCredentials.current(), request.getCsr(), request.getValidityDuration());
    } catch (CaException e) {
      response.onError(status(e).withDescription(e.getMessage()).asRuntimeException());
      return;
    } catch (RuntimeException e) {
      log.error("CreateCertificate failed unexpectedly", e);
      response.onError(Status.INTERNAL.withDescription("internal error").asRuntimeException());
      return;
    }
    response.onNext(IstioCertificateResponse.newBuilder().addAllCertChain(chain).build());
    response.onCompleted();
  }

  private static Status status(CaException e) {
    return switch (e.error()) {
      case UNAUTHENTICATED -> Status.UNAUTHENTICATED;
      case PERMISSION_DENIED -> Status.PERMISSION_DENIED;
      case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
      case UNAVAILABLE -> Status.UNAVAILABLE;
      case INTERNAL -> Status.INTERNAL;
    };
  }
}
