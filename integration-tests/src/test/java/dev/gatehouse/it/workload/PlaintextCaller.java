package dev.gatehouse.it.workload;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import java.util.concurrent.TimeUnit;

/**
 * A caller outside the mesh: a plain grpc-java channel straight to a pod's IP and port, no xDS, no certificate.
 * Runs in the test JVM (it reads no bootstrap). Thread-safe (grpc channels are).
 */
public final class PlaintextCaller implements AutoCloseable {
  private final ManagedChannel channel;

  public PlaintextCaller(String ip, int port) {
    this.channel = Grpc.newChannelBuilderForAddress(ip, port, InsecureChannelCredentials.create()).build();
  }

  public CallResult call(MethodDescriptor<String, String> method) {
    return CallResult.parse(WorkloadMain.call(channel, method));
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
