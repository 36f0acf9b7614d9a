package dev.gatehouse.it.ha;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What a Kubernetes Service does for the replicas behind it, on loopback: one address (127.0.0.1, an ephemeral port)
 * in front of several Gatehouse ports. Each new TCP connection goes to the first replica, in the configured order,
 * that accepts it; a replica that closed its port (drained, stopped) is skipped. Bytes are copied both ways until
 * either side closes. Only loopback addresses are used. Thread-safe.
 */
final class ServiceFrontTestProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final List<Integer> backends = new CopyOnWriteArrayList<>();
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final List<Integer> connectedTo = new CopyOnWriteArrayList<>();

  ServiceFrontTestProxy(List<Integer> backendPorts) throws IOException {
    backends.addAll(backendPorts);
    listener = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
    Thread accept = new Thread(this::acceptLoop, "service-front-accept");
    accept.setDaemon(true);
    accept.start();
  }

  int port() {
    return listener.getLocalPort();
  }

  /** The backend port each accepted connection went to, in order. */
  List<Integer> connections() {
    return List.copyOf(connectedTo);
  }

  private void acceptLoop() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        Socket upstream = connect();
        if (upstream == null) {
          client.close();
          continue;
        }
        open.add(client);
        open.add(upstream);
        pipe(client, upstream);
        pipe(upstream, client);
      } catch (IOException e) {
        // listener closed, or one connection failed: keep serving the rest
      }
    }
  }

  private Socket connect() {
    for (int port : backends) {
      Socket s = new Socket();
      try {
        s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
        s.setTcpNoDelay(true);
        connectedTo.add(port);
        return s;
      } catch (IOException e) {
        try {
          s.close();
        } catch (IOException ignored) {
          // nothing to release
        }
      }
    }
    return null;
  }

  private void pipe(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buffer = new byte[16 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // one side closed
      } finally {
        closeQuietly(from);
        closeQuietly(to);
      }
    }, "service-front-pipe");
    t.setDaemon(true);
    t.start();
  }

  private void closeQuietly(Socket s) {
    open.remove(s);
    try {
      s.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
    open.forEach(this::closeQuietly);
  }
}
