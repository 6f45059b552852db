package dev.rollcall.app;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The load balancer in front of a chaos cluster's agent-facing nodes, as a real fleet has one: a TCP
 * proxy that gives each new connection to the next backend in turn, and when that backend refuses the
 * connection (its node is dead or restarting) to the one after it, marking the refusing one down for
 * {@link #DOWN_FOR_MS}. Open connections to a node that dies are closed with it; the agents' clients
 * connect again and land on a survivor. Runs on the driver's Vert.x, never blocking.
 */
final class ChaosBalancer {
  /** How long a backend that refused a connection is skipped: a health check's interval. */
  static final long DOWN_FOR_MS = 500;
  static final int CONNECT_TIMEOUT_MS = 1_000;

  private final List<Integer> backends;
  private final NetClient client;
  private final AtomicInteger next = new AtomicInteger();
  private final Map<Integer, Long> downUntil = new ConcurrentHashMap<>();
  private final Map<Integer, AtomicLong> connections = new ConcurrentHashMap<>();
  private final AtomicLong refused = new AtomicLong();
  private volatile int port;

  private ChaosBalancer(Vertx vertx, List<Integer> backends) {
    this.backends = List.copyOf(backends);
    this.client = vertx.createNetClient(new NetClientOptions().setConnectTimeout(CONNECT_TIMEOUT_MS));
    backends.forEach(b -> connections.put(b, new AtomicLong()));
  }

  /** Listens on a free port of 127.0.0.1 in front of {@code backends} (ports of 127.0.0.1). */
  static ChaosBalancer listen(Vertx vertx, List<Integer> backends) {
    if (backends.isEmpty()) {
      throw new IllegalArgumentException("no node runs heartbeat: the agents would have nowhere to go");
    }
    ChaosBalancer balancer = new ChaosBalancer(vertx, backends);
    try {
      balancer.port = vertx.createNetServer().connectHandler(balancer::accept).listen(0, "127.0.0.1")
          .toCompletionStage().toCompletableFuture().get().actualPort();
    } catch (Exception e) {
      throw new IllegalStateException("the chaos balancer could not listen: " + e.getMessage(), e);
    }
    return balancer;
  }

  String url() {
    return "http://127.0.0.1:" + port;
  }

  private void accept(NetSocket inbound) {
    inbound.pause();
    connect(next.getAndIncrement(), 0).onComplete(ar -> {
      if (ar.failed()) {
        refused.incrementAndGet();
        inbound.close();
        return;
      }
      NetSocket outbound = ar.result();
      // Both ways with back-pressure; either side's end or failure ends the other.
      inbound.pipeTo(outbound).onComplete(v -> outbound.close());
      outbound.pipeTo(inbound).onComplete(v -> inbound.close());
    });
  }

  /** The backend at {@code start + tried}, or the next one that accepts; a failure once every one refused. */
  private Future<NetSocket> connect(int start, int tried) {
    if (tried == backends.size()) {
      return Future.failedFuture("every backend refused");
    }
    int backend = backends.get(Math.floorMod(start + tried, backends.size()));
    long now = System.currentTimeMillis();
    boolean lastChance = tried == backends.size() - 1;
    if (downUntil.getOrDefault(backend, 0L) > now && !lastChance) {
      return connect(start, tried + 1);
    }
    return client.connect(backend, "127.0.0.1")
        .onSuccess(s -> {
          downUntil.remove(backend);
          connections.get(backend).incrementAndGet();
        })
        .recover(e -> {
          downUntil.put(backend, System.currentTimeMillis() + DOWN_FOR_MS);
          return connect(start, tried + 1);
        });
  }

  /** Connections given to each backend (by port), and those refused because no backend took them. */
  JsonObject toJson() {
    JsonObject perBackend = new JsonObject();
    connections.forEach((backend, count) -> perBackend.put(String.valueOf(backend), count.get()));
    return new JsonObject().put("url", url()).put("connections", perBackend).put("refused", refused.get());
  }
}
