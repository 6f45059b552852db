package dev.rollcall.core.testing;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A real TCP proxy in front of a real server, for tests that need the server to go away and come back
 * without stopping the one every other test shares: {@link #cut()} drops every connection and refuses
 * new ones, {@link #restore()} forwards again.
 */
public final class TcpProxy implements AutoCloseable {
  private final Vertx vertx = Vertx.vertx();
  private final Set<NetSocket> open = ConcurrentHashMap.newKeySet();
  private final int port;
  private volatile boolean cut;

  public TcpProxy(String targetHost, int targetPort) {
    var client = vertx.createNetClient();
    var server = vertx.createNetServer().connectHandler(inbound -> {
      if (cut) {
        inbound.close();
        return;
      }
      inbound.pause();
      client.connect(targetPort, targetHost).onComplete(ar -> {
        if (ar.failed() || cut) {
          inbound.close();
          return;
        }
        NetSocket outbound = ar.result();
        open.add(inbound);
        open.add(outbound);
        inbound.handler(outbound::write).closeHandler(v -> outbound.close());
        outbound.handler(inbound::write).closeHandler(v -> inbound.close());
        inbound.resume();
      });
    });
    this.port = TestNode.await(server.listen(0, "127.0.0.1")).actualPort();
  }

  public int port() {
    return port;
  }

  public void cut() {
    cut = true;
    open.forEach(NetSocket::close);
    open.clear();
  }

  public void restore() {
    cut = false;
  }

  @Override
  public void close() {
    TestNode.await(vertx.close());
  }
}
