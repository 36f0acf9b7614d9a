package dev.gatehouse.controlplane.xds;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A raw state-of-the-world ADS stream that sends exactly what the test says and queues what comes back. */
final class TestAdsStream {
  final BlockingQueue<Object> received = new LinkedBlockingQueue<>();
  private final StreamObserver<DiscoveryRequest> requests;

  TestAdsStream(Channel channel) {
    requests = AggregatedDiscoveryServiceGrpc.newStub(channel).streamAggregatedResources(new StreamObserver<>() {
      @Override
      public void onNext(DiscoveryResponse value) {
        received.add(value);
      }

      @Override
      public void onError(Throwable t) {
        received.add(Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {
        received.add(Status.OK);
      }
    });
  }

  static Node sidecar(String ns, String pod, String ip, String sa) {
    return Node.newBuilder().setId("sidecar~" + ip + "~" + pod + "." + ns + "~" + ns + ".svc.cluster.local")
        .setMetadata(Struct.newBuilder()
            .putFields("NAMESPACE", Value.newBuilder().setStringValue(ns).build())
            .putFields("SERVICE_ACCOUNT", Value.newBuilder().setStringValue(sa).build()))
        .build();
  }

  void subscribe(Node node, String typeUrl) {
    requests.onNext(DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(typeUrl).build());
  }

  void ack(DiscoveryResponse r) {
    requests.onNext(DiscoveryRequest.newBuilder().setTypeUrl(r.getTypeUrl()).setVersionInfo(r.getVersionInfo())
        .setResponseNonce(r.getNonce()).build());
  }

  void nack(DiscoveryResponse r, String error) {
    requests.onNext(DiscoveryRequest.newBuilder().setTypeUrl(r.getTypeUrl()).setResponseNonce(r.getNonce())
        .setErrorDetail(com.google.rpc.Status.newBuilder().setCode(3).setMessage(error)).build());
  }

  DiscoveryResponse next() throws InterruptedException {
    Object o = received.poll(10, TimeUnit.SECONDS);
    if (o instanceof DiscoveryResponse r) {
      return r;
    }
    throw new AssertionError("expected a DiscoveryResponse, got " + o);
  }

  Status closed() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      Object o = received.poll(100, TimeUnit.MILLISECONDS);
      if (o instanceof Status s) {
        return s;
      }
    }
    throw new AssertionError("stream not closed");
  }

  void close() {
    requests.onCompleted();
  }
}
