package dev.gatehouse.it.workload;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.xds.XdsChannelCredentials;
import io.grpc.xds.XdsServerBuilder;
import io.grpc.xds.XdsServerCredentials;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Entry point of one fake pod's application JVM (grpc reads its xDS bootstrap once per JVM, so every workload runs
 * in its own). Protocol lines on stdout start with {@value #PREFIX}; everything else (logs) is ignored by the
 * launcher. Commands arrive on stdin, one per line; end of stdin (the test JVM went away) stops the workload.
 *
 * <pre>
 * server &lt;pod&gt; &lt;ip&gt; &lt;port&gt;   XdsServerBuilder on ip:port with XdsServerCredentials; prints
 *                              "SERVING", "NOT_SERVING &lt;why&gt;", "STARTED", "START_FAILED &lt;why&gt;"
 * client &lt;target&gt;              xds:///... with XdsChannelCredentials (else a plaintext channel); prints "READY";
 *                              stdin "CALL &lt;Method&gt;" prints "OK &lt;answer&gt; server=&lt;id&gt; serverSerial=&lt;hex&gt;"
 *                              or "ERR &lt;CODE&gt; &lt;description&gt;"; "CALL_FRESH &lt;Method&gt;" does the same on a new
 *                              channel (new connection, current certificate files)
 * </pre>
 *
 * The server answers {@code pod=<pod> method=<m> peer=<spiffe id|none> peerSerial=<hex|none>}: what it saw of the
 * caller's certificate.
 */
public final class WorkloadMain {
  public static final String PREFIX = "@@ ";
  private static final Context.Key<String> PEER = Context.key("peer");
  private static final PrintStream OUT = System.out;

  private WorkloadMain() {}

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "server" -> server(args[1], args[2], Integer.parseInt(args[3]));
      case "client" -> client(args[1]);
      default -> throw new IllegalArgumentException("unknown mode " + args[0]);
    }
  }

  private static synchronized void say(String line) {
    OUT.println(PREFIX + line.replace('\n', ' '));
    OUT.flush();
  }

  private static void server(String pod, String ip, int port) throws Exception {
    ServerInterceptor peerInfo = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String peer = describe(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION), "peer");
        return Contexts.interceptCall(Context.current().withValue(PEER, peer), call, headers, next);
      }
    };
    Server server = XdsServerBuilder.forAddress(
            new InetSocketAddress(ip, port), XdsServerCredentials.create(InsecureServerCredentials.create()))
        .xdsServingStatusListener(new XdsServerBuilder.XdsServingStatusListener() {
          @Override
          public void onServing() {
            say("SERVING");
          }

          @Override
          public void onNotServing(Throwable throwable) {
            say("NOT_SERVING " + throwable);
          }
        })
        .addService(ServerInterceptors.intercept(
            Echo.service(method -> "pod=" + pod + " method=" + method + " " + PEER.get()), peerInfo))
        .build();
    Thread starter = new Thread(() -> {
      try {
        server.start(); // blocks until the first Listener for ip:port arrives
        say("STARTED");
      } catch (Exception e) {
        say("START_FAILED " + e);
      }
    }, "xds-server-start");
    starter.setDaemon(true);
    starter.start();
    awaitQuit(line -> {});
    server.shutdownNow();
    server.awaitTermination(5, TimeUnit.SECONDS);
  }

  private static void client(String target) throws Exception {
    ManagedChannel channel = newChannel(target);
    say("READY");
    awaitQuit(line -> {
      if (line.startsWith("CALL ")) {
        say(call(channel, Echo.method(line.substring(5).trim())));
      } else if (line.startsWith("CALL_FRESH ")) {
        // A new channel, so a new connection and TLS handshake with whatever certificate files are current.
        ManagedChannel fresh = newChannel(target);
        try {
          say(call(fresh, Echo.method(line.substring(11).trim())));
        } finally {
          fresh.shutdownNow();
        }
      }
    });
    channel.shutdownNow();
  }

  private static ManagedChannel newChannel(String target) {
    return target.startsWith("xds:")
        ? Grpc.newChannelBuilder(target, XdsChannelCredentials.create(InsecureChannelCredentials.create())).build()
        : Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
  }

  /** One unary call; the outcome as the calling application sees it. */
  public static String call(Channel channel, MethodDescriptor<String, String> method) {
    AtomicReference<Attributes> transport = new AtomicReference<>(Attributes.EMPTY);
    ClientInterceptor capture = new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> m, CallOptions options, Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(m, options)) {
          @Override
          public void start(Listener<R> listener, Metadata headers) {
            ClientCall<Q, R> self = this;
            super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
              @Override
              public void onHeaders(Metadata h) {
                transport.set(self.getAttributes());
                super.onHeaders(h);
              }
            }, headers);
          }
        };
      }
    };
    try {
      String answer = ClientCalls.blockingUnaryCall(
          ClientInterceptors.intercept(channel, capture), method,
          CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), "ping");
      return "OK " + answer + " " + describe(transport.get().get(Grpc.TRANSPORT_ATTR_SSL_SESSION), "server");
    } catch (StatusRuntimeException e) {
      Status s = e.getStatus();
      return "ERR " + s.getCode() + " " + (s.getDescription() == null ? "" : s.getDescription())
          + (s.getCause() == null ? "" : " cause=" + s.getCause());
    }
  }

  /** {@code <what>=<spiffe id> <what>Serial=<hex>}, or {@code <what>=none <what>Serial=none} without TLS. */
  static String describe(SSLSession session, String what) {
    if (session == null) {
      return what + "=none " + what + "Serial=none";
    }
    try {
      Certificate[] certs = session.getPeerCertificates();
      X509Certificate leaf = (X509Certificate) certs[0];
      return what + "=" + spiffeId(leaf) + " " + what + "Serial=" + leaf.getSerialNumber().toString(16);
    } catch (SSLPeerUnverifiedException e) {
      return what + "=unverified " + what + "Serial=none";
    }
  }

  private static String spiffeId(X509Certificate cert) {
    try {
      Collection<List<?>> sans = cert.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          if (Integer.valueOf(6).equals(san.get(0))) {
            return String.valueOf(san.get(1));
          }
        }
      }
    } catch (java.security.cert.CertificateParsingException e) {
      return "unparsable";
    }
    return "no-uri-san";
  }

  private static void awaitQuit(java.util.function.Consumer<String> command) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.equals("QUIT")) {
        return;
      }
      command.accept(line);
    }
  }
}
