package dev.gatehouse.xds;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import com.google.protobuf.UnsafeByteOperations;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Protobuf serialization as the xDS server versions it: deterministic (map entries sorted). */
public final class ProtoBytes {
  private static final java.util.Map<String, ByteString> TYPE_URLS = new java.util.concurrent.ConcurrentHashMap<>();

  private ProtoBytes() {}

  /**
   * {@code type.googleapis.com/<full name>} as bytes, one instance per type: an {@code Any} built with it writes the
   * bytes as they are, where a String type URL is UTF-8 encoded again each time the {@code Any} is written.
   */
  public static ByteString typeUrl(com.google.protobuf.Descriptors.Descriptor type) {
    return TYPE_URLS.computeIfAbsent(type.getFullName(), n -> ByteString.copyFromUtf8("type.googleapis.com/" + n));
  }

  /** An {@code Any} of {@code type} holding {@code value} (already serialized), with the shared type-URL bytes. */
  public static com.google.protobuf.Any any(com.google.protobuf.Descriptors.Descriptor type, ByteString value) {
    return com.google.protobuf.Any.newBuilder().setTypeUrlBytes(typeUrl(type)).setValue(value).build();
  }

  /**
   * {@code m}'s deterministic serialization, written straight into an array of the exact size (no stream buffer, no
   * copy); the array is wrapped, never written again.
   */
  public static ByteString deterministic(Message m) {
    byte[] buf = new byte[m.getSerializedSize()];
    CodedOutputStream out = CodedOutputStream.newInstance(buf);
    out.useDeterministicSerialization();
    try {
      m.writeTo(out);
    } catch (IOException e) { // an array target does not throw
      throw new UncheckedIOException(e);
    }
    out.checkNoSpaceLeft();
    return UnsafeByteOperations.unsafeWrap(buf);
  }
}
