package dev.gatehouse.posture;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import tools.jackson.databind.json.JsonMapper;

/** Istio spec messages as plain JSON trees (maps, lists, scalars), the way {@code kubectl get -o json} shows them. */
public final class ProtoJson {
  private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private ProtoJson() {}

  public static Object tree(MessageOrBuilder m) {
    try {
      return JSON.readValue(PRINTER.print(m), Object.class);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print " + m.getClass().getSimpleName(), e);
    }
  }
}
