package dev.gatehouse.xds.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoUtils;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The small-buffer response marshaller writes exactly the message's bytes, by draining or by reading. */
class DirectResponsesTest {
  private static DiscoveryResponse response() {
    Random r = new Random(7);
    DiscoveryResponse.Builder b = DiscoveryResponse.newBuilder().setVersionInfo("v1").setNonce("n-1")
        .setTypeUrl("type.googleapis.com/envoy.config.cluster.v3.Cluster");
    for (int size : new int[] {0, 1, 200, 255, 256, 257, 5000, 70_000}) { // around the buffer and gRPC's 4 KiB
      byte[] value = new byte[size];
      r.nextBytes(value);
      b.addResources(Any.newBuilder().setTypeUrlBytes(ByteString.copyFromUtf8("type.googleapis.com/x.Y"))
          .setValue(ByteString.copyFrom(value)));
    }
    return b.build();
  }

  private static final MethodDescriptor.Marshaller<DiscoveryResponse> MARSHALLER =
      DirectResponses.marshaller(ProtoUtils.marshaller(DiscoveryResponse.getDefaultInstance()));

  @Test
  void drainingWritesTheMessagesOwnBytesAndReportsTheirLength() throws Exception {
    DiscoveryResponse m = response();
    InputStream s = MARSHALLER.stream(m);
    assertThat(s).isInstanceOf(Drainable.class).isInstanceOf(KnownLength.class);
    assertThat(s.available()).isEqualTo(m.getSerializedSize());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(((Drainable) s).drainTo(out)).isEqualTo(m.getSerializedSize());
    assertThat(out.toByteArray()).isEqualTo(m.toByteArray());
    assertThat(s.available()).isZero();
    assertThat(MARSHALLER.parse(new java.io.ByteArrayInputStream(out.toByteArray()))).isEqualTo(m);
  }

  @Test
  void readingInsteadOfDrainingGivesTheSameBytes() throws Exception {
    DiscoveryResponse m = response();
    InputStream s = MARSHALLER.stream(m);
    assertThat(s.read()).isEqualTo(m.toByteArray()[0] & 0xff);
    byte[] rest = s.readAllBytes();
    assertThat(rest).isEqualTo(java.util.Arrays.copyOfRange(m.toByteArray(), 1, m.getSerializedSize()));
  }

  @Test
  void servedDefinitionsKeepEveryMethodAndHandlerWithTheNewMarshaller() {
    ServerServiceDefinition original = AggregatedDiscoveryServiceGrpc.bindService(
        new AggregatedDiscoveryServiceGrpc.AsyncService() {});
    ServerServiceDefinition direct = DirectResponses.of(original);
    assertThat(direct.getServiceDescriptor().getName()).isEqualTo(original.getServiceDescriptor().getName());
    assertThat(direct.getMethods()).hasSameSizeAs(original.getMethods());
    for (var m : original.getMethods()) {
      var d = direct.getMethod(m.getMethodDescriptor().getFullMethodName());
      assertThat(d.getServerCallHandler()).isSameAs(m.getServerCallHandler());
      @SuppressWarnings("unchecked")
      var md = (MethodDescriptor<Object, Object>) d.getMethodDescriptor();
      assertThat(md.streamResponse(DiscoveryResponse.getDefaultInstance()))
          .isInstanceOf(DirectResponses.MessageStream.class);
    }
  }
}
