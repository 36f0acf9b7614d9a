package dev.gatehouse.xds.server;

import io.envoyproxy.envoy.service.cluster.v3.ClusterDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.endpoint.v3.EndpointDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.listener.v3.ListenerDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.route.v3.RouteDiscoveryServiceGrpc;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps a handle on every open discovery stream so that a draining replica can end them one by one
 * ({@link XdsServer#openStreams()}). It sits between gRPC and java-control-plane's request observers: ending a
 * stream completes its request side, which java-control-plane answers exactly as it answers a proxy that hangs up
 * (its close callbacks run, its watches are cancelled, the response side is closed with status OK under its own
 * lock). OK rather than an error status because java-control-plane logs every error close at ERROR, and Envoy and
 * grpc-java reconnect after either. Thread-safe.
 */
final class DrainableStreams {
  private final Set<Tracked<?>> open = ConcurrentHashMap.newKeySet();
  private final Set<FlowControlledResponses<?>> flows = ConcurrentHashMap.newKeySet();
  private final ResponseBudget budget;
  private final AtomicLong stalled = new AtomicLong();

  DrainableStreams(ResponseBudget budget) {
    this.budget = budget;
  }

  ResponseBudget budget() {
    return budget;
  }

  long stalledBytes() {
    return stalled.get();
  }

  /** Writes off the budget the bytes of streams whose peer has not read for {@code stallNanos}; forgets closed ones. */
  void sweep(long stallNanos) {
    for (FlowControlledResponses<?> f : flows) {
      if (f.isClosed()) {
        flows.remove(f);
      } else {
        f.writeOffIfStalled(stallNanos);
      }
    }
  }

  /** The response side of a stream, sent only while ready and within the budget. */
  private <R extends com.google.protobuf.Message> StreamObserver<R> flow(StreamObserver<R> out) {
    if (!(out instanceof ServerCallStreamObserver<R> call)) {
      return out;
    }
    FlowControlledResponses<R> f = new FlowControlledResponses<>(call, budget, stalled);
    flows.add(f);
    return f;
  }

  List<XdsServer.OpenStream> open() {
    return List.copyOf(open);
  }

  private <T> StreamObserver<T> track(StreamObserver<T> requests) {
    Tracked<T> t = new Tracked<>(requests);
    open.add(t);
    return t;
  }

  /**
   * The request side of one stream. gRPC calls it serially; {@link #end} comes from the drain thread, so every entry
   * point takes the same lock and nothing reaches java-control-plane after the stream ended.
   */
  private final class Tracked<T> implements StreamObserver<T>, XdsServer.OpenStream {
    private final StreamObserver<T> delegate;
    private boolean ended;

    Tracked(StreamObserver<T> delegate) {
      this.delegate = delegate;
    }

    @Override
    public synchronized void onNext(T value) {
      if (!ended) {
        delegate.onNext(value);
      }
    }

    @Override
    public synchronized void onError(Throwable t) {
      if (finish()) {
        delegate.onError(t);
      }
    }

    @Override
    public synchronized void onCompleted() {
      if (finish()) {
        delegate.onCompleted();
      }
    }

    @Override
    public synchronized boolean end() {
      if (!finish()) {
        return false;
      }
      delegate.onCompleted();
      return true;
    }

    private boolean finish() {
      if (ended) {
        return false;
      }
      ended = true;
      open.remove(this);
      return true;
    }
  }

  ServerServiceDefinition ads(AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase d) {
    return AggregatedDiscoveryServiceGrpc.bindService(new AggregatedDiscoveryServiceGrpc.AsyncService() {
      @Override
      public StreamObserver<DiscoveryRequest> streamAggregatedResources(StreamObserver<DiscoveryResponse> out) {
        return track(d.streamAggregatedResources(flow(out)));
      }

      @Override
      public StreamObserver<DeltaDiscoveryRequest> deltaAggregatedResources(StreamObserver<DeltaDiscoveryResponse> out) {
        return track(d.deltaAggregatedResources(flow(out)));
      }
    });
  }

  ServerServiceDefinition cds(ClusterDiscoveryServiceGrpc.ClusterDiscoveryServiceImplBase d) {
    return ClusterDiscoveryServiceGrpc.bindService(new ClusterDiscoveryServiceGrpc.AsyncService() {
      @Override
      public StreamObserver<DiscoveryRequest> streamClusters(StreamObserver<DiscoveryResponse> out) {
        return track(d.streamClusters(flow(out)));
      }

      @Override
      public StreamObserver<DeltaDiscoveryRequest> deltaClusters(StreamObserver<DeltaDiscoveryResponse> out) {
        return track(d.deltaClusters(flow(out)));
      }

      @Override
      public void fetchClusters(DiscoveryRequest request, StreamObserver<DiscoveryResponse> out) {
        d.fetchClusters(request, out);
      }
    });
  }

  ServerServiceDefinition eds(EndpointDiscoveryServiceGrpc.EndpointDiscoveryServiceImplBase d) {
    return EndpointDiscoveryServiceGrpc.bindService(new EndpointDiscoveryServiceGrpc.AsyncService() {
      @Override
      public StreamObserver<DiscoveryRequest> streamEndpoints(StreamObserver<DiscoveryResponse> out) {
        return track(d.streamEndpoints(flow(out)));
      }

      @Override
      public StreamObserver<DeltaDiscoveryRequest> deltaEndpoints(StreamObserver<DeltaDiscoveryResponse> out) {
        return track(d.deltaEndpoints(flow(out)));
      }

      @Override
      public void fetchEndpoints(DiscoveryRequest request, StreamObserver<DiscoveryResponse> out) {
        d.fetchEndpoints(request, out);
      }
    });
  }

  ServerServiceDefinition lds(ListenerDiscoveryServiceGrpc.ListenerDiscoveryServiceImplBase d) {
    return ListenerDiscoveryServiceGrpc.bindService(new ListenerDiscoveryServiceGrpc.AsyncService() {
      @Override
      public StreamObserver<DiscoveryRequest> streamListeners(StreamObserver<DiscoveryResponse> out) {
        return track(d.streamListeners(flow(out)));
      }

      @Override
      public StreamObserver<DeltaDiscoveryRequest> deltaListeners(StreamObserver<DeltaDiscoveryResponse> out) {
        return track(d.deltaListeners(flow(out)));
      }

      @Override
      public void fetchListeners(DiscoveryRequest request, StreamObserver<DiscoveryResponse> out) {
        d.fetchListeners(request, out);
      }
    });
  }

  ServerServiceDefinition rds(RouteDiscoveryServiceGrpc.RouteDiscoveryServiceImplBase d) {
    return RouteDiscoveryServiceGrpc.bindService(new RouteDiscoveryServiceGrpc.AsyncService() {
      @Override
      public StreamObserver<DiscoveryRequest> streamRoutes(StreamObserver<DiscoveryResponse> out) {
        return track(d.streamRoutes(flow(out)));
      }

      @Override
      public StreamObserver<DeltaDiscoveryRequest> deltaRoutes(StreamObserver<DeltaDiscoveryResponse> out) {
        return track(d.deltaRoutes(flow(out)));
      }

      @Override
      public void fetchRoutes(DiscoveryRequest request, StreamObserver<DiscoveryResponse> out) {
        d.fetchRoutes(request, out);
      }
    });
  }
}
