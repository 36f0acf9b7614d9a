package dev.gatehouse.xds.server;

import dev.gatehouse.xds.ProxyIdentity;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.controlplane.server.exception.RequestException;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Status;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stream lifecycle for the discovery server: opens and closes {@link ProxyStream}s, identifies and authorizes the
 * proxy on its first request, detects ACKs/NACKs, and records what was sent. Throwing {@link RequestException} makes
 * the server close the stream with that status. Thread-safe (state lives in the cache and the streams).
 */
final class XdsStreamCallbacks implements DiscoveryServerCallbacks {
  private static final Logger log = LoggerFactory.getLogger(XdsStreamCallbacks.class);

  private final ProxyConfigCache cache;

  XdsStreamCallbacks(ProxyConfigCache cache) {
    this.cache = cache;
  }

  @Override
  public void onStreamOpen(long streamId, String typeUrl) throws RequestException {
    // Runs inside the gRPC call's Context, where XdsCallerInterceptor left the caller.
    StreamCaller caller = XdsCallerInterceptor.current();
    if (caller.secure() && caller.identity().isEmpty()) {
      log.warn("xDS stream {} refused: {}", streamId, caller);
      throw new RequestException(Status.UNAUTHENTICATED.withDescription("xDS caller not authenticated: " + caller.failure()));
    }
    cache.open(streamId, typeUrl, caller);
    cache.events().streamOpened();
  }

  @Override
  public void onStreamClose(long streamId, String typeUrl) {
    closed(streamId);
  }

  @Override
  public void onStreamCloseWithError(long streamId, String typeUrl, Throwable error) {
    closed(streamId);
  }

  private void closed(long streamId) {
    if (cache.close(streamId)) {
      cache.events().streamClosed();
    }
  }

  @Override
  public void onV3StreamRequest(long streamId, DiscoveryRequest request) throws RequestException {
    ProxyStream stream = identified(streamId, request.hasNode() ? request.getNode() : null);
    stream.onRequest(
        stream.typeOf(request.getTypeUrl()),
        request.getResponseNonce(),
        request.getVersionInfo(),
        request.hasErrorDetail() ? request.getErrorDetail() : null);
    cache.bind(streamId, request);
  }

  @Override
  public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) throws RequestException {
    ProxyStream stream = identified(streamId, request.hasNode() ? request.getNode() : null);
    stream.onDeltaRequest(
        stream.typeOf(request.getTypeUrl()),
        request,
        request.hasErrorDetail() ? request.getErrorDetail() : null);
    cache.bind(streamId, request);
  }

  @Override
  public void onV3StreamResponse(long streamId, DiscoveryRequest request, DiscoveryResponse response) {
    ProxyStream stream = cache.stream(streamId);
    if (stream != null) {
      long bytes = 0;
      for (com.google.protobuf.Any a : response.getResourcesList()) {
        bytes += a.getValue().size();
      }
      stream.onResponse(stream.typeOf(response.getTypeUrl()), response.getNonce(), response.getVersionInfo(),
          response.getResourcesCount(), bytes);
    }
  }

  @Override
  public void onV3StreamDeltaResponse(long streamId, DeltaDiscoveryRequest request, DeltaDiscoveryResponse response) {
    ProxyStream stream = cache.stream(streamId);
    if (stream != null) {
      long bytes = 0;
      for (io.envoyproxy.envoy.service.discovery.v3.Resource r : response.getResourcesList()) {
        bytes += r.getResource().getValue().size();
      }
      stream.onDeltaResponse(stream.typeOf(response.getTypeUrl()), response, bytes);
    }
  }

  /** The stream, identified from its first node; refuses unusable or unauthorized claims. */
  private ProxyStream identified(long streamId, Node node) throws RequestException {
    ProxyStream stream = cache.stream(streamId);
    if (stream == null) {
      throw new RequestException(Status.INTERNAL.withDescription("unknown xDS stream " + streamId));
    }
    if (stream.identified()) {
      return stream;
    }
    if (node == null) {
      throw new RequestException(Status.INVALID_ARGUMENT.withDescription("the first xDS request must carry the node"));
    }
    ProxyIdentity claim;
    try {
      claim = NodeIdentityParser.parse(node);
    } catch (IllegalArgumentException e) {
      log.warn("xDS stream {} refused: {}", streamId, e.getMessage());
      throw new RequestException(Status.INVALID_ARGUMENT.withDescription(e.getMessage()));
    }
    Optional<String> denial = StreamAuthorizer.denial(stream.caller, claim, cache.snapshot());
    if (denial.isPresent()) {
      log.warn("xDS stream {} from node {} refused: {}", streamId, node.getId(), denial.get());
      throw new RequestException(Status.PERMISSION_DENIED.withDescription(denial.get()));
    }
    stream.identify(node, StreamAuthorizer.withProvenIdentity(stream.caller, claim));
    cache.indexByNamespace(stream);
    cache.assignInitialConfig(stream);
    return stream;
  }
}
