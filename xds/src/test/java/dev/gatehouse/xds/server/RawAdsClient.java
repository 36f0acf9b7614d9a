package dev.gatehouse.xds.server;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A raw ADS client for protocol tests: sends exactly the requests a test writes and queues every response, so tests
 * can assert on versions, nonces and what was (not) sent. SotW or delta, one stream per instance.
 */
final class RawAdsClient implements AutoCloseable {
  private final BlockingQueue<Object> received = new LinkedBlockingQueue<>();
  private final StreamObserver<DiscoveryRequest> sotw;
  private final StreamObserver<DeltaDiscoveryRequest> delta;
  volatile Status closedWith;

  private RawAdsClient(Channel channel, boolean isDelta) {
    AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceStub stub = AggregatedDiscoveryServiceGrpc.newStub(channel);
    if (isDelta) {
      delta = stub.deltaAggregatedResources(observer());
      sotw = null;
    } else {
      sotw = stub.streamAggregatedResources(observer());
      delta = null;
    }
  }

  static RawAdsClient sotw(Channel channel) {
    return new RawAdsClient(channel, false);
  }

  static RawAdsClient delta(Channel channel) {
    return new RawAdsClient(channel, true);
  }

  private <T> StreamObserver<T> observer() {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        received.add(value);
      }

      @Override
      public void onError(Throwable t) {
        closedWith = Status.fromThrowable(t);
        received.add(closedWith);
      }

      @Override
      public void onCompleted() {
        closedWith = Status.OK;
        received.add(Status.OK);
      }
    };
  }

  /** Istio's sidecar node id and metadata for a pod. */
  static Node sidecarNode(String ns, String pod, String ip, String sa) {
    return Node.newBuilder()
        .setId("sidecar~" + ip + "~" + pod + "." + ns + "~" + ns + ".svc.cluster.local")
        .setMetadata(Struct.newBuilder()
            .putFields("NAMESPACE", Value.newBuilder().setStringValue(ns).build())
            .putFields("SERVICE_ACCOUNT", Value.newBuilder().setStringValue(sa).build()))
        .build();
  }

  void request(Node node, String typeUrl, String version, String nonce, List<String> names) {
    DiscoveryRequest.Builder r = DiscoveryRequest.newBuilder().setTypeUrl(typeUrl).setVersionInfo(version)
        .setResponseNonce(nonce).addAllResourceNames(names);
    if (node != null) {
      r.setNode(node);
    }
    sotw.onNext(r.build());
  }

  void ack(DiscoveryResponse r, List<String> names) {
    request(null, r.getTypeUrl(), r.getVersionInfo(), r.getNonce(), names);
  }

  void nack(DiscoveryResponse r, String lastGoodVersion, List<String> names, String error) {
    sotw.onNext(DiscoveryRequest.newBuilder().setTypeUrl(r.getTypeUrl()).setVersionInfo(lastGoodVersion)
        .setResponseNonce(r.getNonce()).addAllResourceNames(names)
        .setErrorDetail(com.google.rpc.Status.newBuilder().setCode(3).setMessage(error)).build());
  }

  void deltaRequest(DeltaDiscoveryRequest r) {
    delta.onNext(r);
  }

  void deltaAck(DeltaDiscoveryResponse r) {
    delta.onNext(DeltaDiscoveryRequest.newBuilder().setTypeUrl(r.getTypeUrl()).setResponseNonce(r.getNonce()).build());
  }

  void deltaNack(DeltaDiscoveryResponse r, String error) {
    delta.onNext(DeltaDiscoveryRequest.newBuilder().setTypeUrl(r.getTypeUrl()).setResponseNonce(r.getNonce())
        .setErrorDetail(com.google.rpc.Status.newBuilder().setCode(3).setMessage(error)).build());
  }

  DiscoveryResponse next() throws InterruptedException {
    Object o = received.poll(5, TimeUnit.SECONDS);
    if (o instanceof DiscoveryResponse r) {
      return r;
    }
    throw new AssertionError("expected a DiscoveryResponse, got " + o);
  }

  DeltaDiscoveryResponse nextDelta() throws InterruptedException {
    Object o = received.poll(5, TimeUnit.SECONDS);
    if (o instanceof DeltaDiscoveryResponse r) {
      return r;
    }
    throw new AssertionError("expected a DeltaDiscoveryResponse, got " + o);
  }

  /** Whatever arrives within {@code d} (a response or the closing status), or null. */
  Object poll(Duration d) throws InterruptedException {
    return received.poll(d.toMillis(), TimeUnit.MILLISECONDS);
  }

  Status awaitClosed() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < deadline) {
      Object o = received.poll(100, TimeUnit.MILLISECONDS);
      if (o instanceof Status s) {
        return s;
      }
    }
    throw new AssertionError("stream not closed");
  }

  @Override
  public void close() {
    try {
      if (sotw != null) {
        sotw.onCompleted();
      } else {
        delta.onCompleted();
      }
    } catch (RuntimeException ignored) {
      // already closed by the server
    }
  }
}
