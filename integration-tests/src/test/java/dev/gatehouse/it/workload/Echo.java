package dev.gatehouse.it.workload;

import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.function.UnaryOperator;

/**
 * A tiny gRPC service with two unary methods and UTF-8 string messages, so no code generation is needed:
 * {@code /gatehouse.it.Echo/Call} (what ALLOW policies let through) and {@code /gatehouse.it.Echo/Admin} (what
 * DENY-by-path policies target). The server answers with what it saw of the caller; see {@link WorkloadMain}.
 */
public final class Echo {
  public static final String SERVICE = "gatehouse.it.Echo";
  public static final MethodDescriptor<String, String> CALL = method("Call");
  public static final MethodDescriptor<String, String> ADMIN = method("Admin");

  private Echo() {}

  public static MethodDescriptor<String, String> method(String name) {
    return MethodDescriptor.<String, String>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
        .setRequestMarshaller(Utf8.INSTANCE)
        .setResponseMarshaller(Utf8.INSTANCE)
        .build();
  }

  /** Path of a method as RBAC sees it, e.g. {@code /gatehouse.it.Echo/Admin}. */
  public static String path(MethodDescriptor<?, ?> method) {
    return "/" + method.getFullMethodName();
  }

  static ServerServiceDefinition service(UnaryOperator<String> answer) {
    ServerServiceDefinition.Builder builder = ServerServiceDefinition.builder(SERVICE);
    for (MethodDescriptor<String, String> m : java.util.List.of(CALL, ADMIN)) {
      builder.addMethod(m, ServerCalls.asyncUnaryCall((request, response) -> {
        response.onNext(answer.apply(m.getBareMethodName()));
        response.onCompleted();
      }));
    }
    return builder.build();
  }

  private enum Utf8 implements MethodDescriptor.Marshaller<String> {
    INSTANCE;

    @Override
    public InputStream stream(String value) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(InputStream stream) {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
