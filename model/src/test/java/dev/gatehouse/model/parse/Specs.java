package dev.gatehouse.model.parse;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.gatehouse.api.istio.networking.v1alpha3.DestinationRule;
import dev.gatehouse.api.istio.security.v1beta1.AuthorizationPolicy;
import dev.gatehouse.api.istio.security.v1beta1.PeerAuthentication;
import dev.gatehouse.api.istio.security.v1beta1.RequestAuthentication;

/** Spec messages written as YAML, for testing validators directly. */
final class Specs {
  private Specs() {}

  static AuthorizationPolicy authz(String yaml) {
    return (AuthorizationPolicy) read(yaml, AuthorizationPolicy.newBuilder());
  }

  static PeerAuthentication peer(String yaml) {
    return (PeerAuthentication) read(yaml, PeerAuthentication.newBuilder());
  }

  static RequestAuthentication request(String yaml) {
    return (RequestAuthentication) read(yaml, RequestAuthentication.newBuilder());
  }

  static DestinationRule destination(String yaml) {
    return (DestinationRule) read(yaml, DestinationRule.newBuilder());
  }

  private static Message read(String yaml, Message.Builder builder) {
    try {
      JsonFormat.parser().merge(JsonText.of(Fixtures.object(yaml)), builder);
      return builder.build();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
