package dev.rollcall.core.testing;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A real TCP proxy in front of a real server, for tests that need the server to go away and come back
 * without stopping the one every other test shares: {@link #cut()} drops every connection and refuses
 * new ones, {@link #restore()} forwards again, {@link #retarget} fails over to another server (a load
 * balancer that noticed its backend died).
 */
public final class TcpProxy implements AutoCloseable {
  private final Vertx vertx = Vertx.vertx();
  private final Set<NetSocket> open = ConcurrentHashMap.newKeySet();
  private final int port;
  private volatile boolean cut;
  private volatile String targetHost;
  private volatile int targetPort;

  public TcpProxy(String targetHost, int targetPort) {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    var client = vertx.createNetClient();
    var server = vertx.createNetServer().connectHandler(inbound -> {
      if (cut) {
        inbound.close();
        return;
      }
      inbound.pause();
      client.connect(this.targetPort, this.targetHost).onComplete(ar -> {
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

  /** New connections go to this server; open ones are dropped. */
  public void retarget(String host, int port) {
    targetHost = host;
    targetPort = port;
    open.forEach(NetSocket::close);
    open.clear();
    cut = false;
  }

  @Override
  public void close() {
    TestNode.await(vertx.close());
  }
}
