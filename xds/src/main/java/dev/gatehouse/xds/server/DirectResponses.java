package dev.gatehouse.xds.server;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes xDS responses to gRPC's output with a small staging buffer. grpc-java's protobuf marshaller writes each
 * message through a {@code CodedOutputStream} with a buffer of up to 4 KiB, allocated per message: a connect storm of
 * 50,000 proxies (four responses each) allocates about 1 GB of those buffers and copies every resource through them.
 * Here the buffer is 256 bytes, so the tags and small fields are staged and each pre-serialized resource (an
 * {@code Any} holding bytes) goes from its array straight to gRPC's stream (protobuf writes fields larger than the
 * free buffer space directly to the underlying stream). The bytes are those of the message's own {@code writeTo};
 * requests are parsed by the original marshaller.
 */
final class DirectResponses {
  static final int BUFFER = 256;

  private DirectResponses() {}

  /** {@code def} with every protobuf response marshaller replaced by {@link #marshaller}; handlers unchanged. */
  static ServerServiceDefinition of(ServerServiceDefinition def) {
    ServiceDescriptor original = def.getServiceDescriptor();
    List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
    ServiceDescriptor.Builder descriptor =
        ServiceDescriptor.newBuilder(original.getName()).setSchemaDescriptor(original.getSchemaDescriptor());
    for (ServerMethodDefinition<?, ?> m : def.getMethods()) {
      ServerMethodDefinition<?, ?> direct = direct(m);
      methods.add(direct);
      descriptor.addMethod(direct.getMethodDescriptor());
    }
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(descriptor.build());
    for (ServerMethodDefinition<?, ?> m : methods) {
      b.addMethod(m);
    }
    return b.build();
  }

  private static <Q, R> ServerMethodDefinition<Q, R> direct(ServerMethodDefinition<Q, R> m) {
    MethodDescriptor<Q, R> md = m.getMethodDescriptor();
    MethodDescriptor<Q, R> direct =
        md.toBuilder().setResponseMarshaller(marshaller(md.getResponseMarshaller())).build();
    return ServerMethodDefinition.create(direct, m.getServerCallHandler());
  }

  /** Streams a protobuf message with the small buffer; parses with {@code parser}. */
  static <T> MethodDescriptor.Marshaller<T> marshaller(MethodDescriptor.Marshaller<T> parser) {
    return new MethodDescriptor.Marshaller<>() {
      @Override
      public InputStream stream(T value) {
        return value instanceof MessageLite m ? new MessageStream(m) : parser.stream(value);
      }

      @Override
      public T parse(InputStream stream) {
        return parser.parse(stream);
      }
    };
  }

  /** One message, drained once into gRPC's output (or read as bytes by a caller that does not drain). */
  static final class MessageStream extends InputStream implements Drainable, KnownLength {
    private MessageLite message;
    private ByteArrayInputStream bytes;

    MessageStream(MessageLite message) {
      this.message = message;
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      if (message == null) {
        return bytes == null ? 0 : (int) bytes.transferTo(target);
      }
      int size = message.getSerializedSize();
      CodedOutputStream out = CodedOutputStream.newInstance(target, Math.min(BUFFER, Math.max(size, 1)));
      message.writeTo(out);
      out.flush();
      message = null;
      return size;
    }

    @Override
    public int available() {
      if (message != null) {
        return message.getSerializedSize();
      }
      return bytes == null ? 0 : bytes.available();
    }

    @Override
    public int read() {
      return asBytes().read();
    }

    @Override
    public int read(byte[] b, int off, int len) {
      return asBytes().read(b, off, len);
    }

    private ByteArrayInputStream asBytes() {
      if (message != null) {
        bytes = new ByteArrayInputStream(message.toByteArray());
        message = null;
      } else if (bytes == null) {
        bytes = new ByteArrayInputStream(new byte[0]);
      }
      return bytes;
    }
  }
}
