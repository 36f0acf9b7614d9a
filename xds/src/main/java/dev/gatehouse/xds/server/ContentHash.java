package dev.gatehouse.xds.server;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Version strings derived from content: equal content gives the equal version on every replica and after restarts,
 * so a reconnecting proxy that already holds the content is recognised. Not thread-safe; use one per computation.
 */
final class ContentHash {
  private final MessageDigest digest;

  ContentHash() {
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  ContentHash add(String s) {
    digest.update(s.getBytes(StandardCharsets.UTF_8));
    digest.update((byte) 0);
    return this;
  }

  ContentHash add(ByteString bytes) {
    for (java.nio.ByteBuffer b : bytes.asReadOnlyByteBufferList()) {
      digest.update(b);
    }
    return this;
  }

  /** 16 hex digits (64 bits): collisions among one proxy's versions are not a practical concern. */
  String finish() {
    byte[] d = digest.digest();
    return HexFormat.of().formatHex(d, 0, 8);
  }

  static String of(ByteString bytes) {
    return new ContentHash().add(bytes).finish();
  }
}
