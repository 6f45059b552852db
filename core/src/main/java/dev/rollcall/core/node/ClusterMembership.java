package dev.rollcall.core.node;

import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.spi.cluster.ClusterManager;
import java.util.List;

/**
 * The cluster members this node sees, read from the member list the cluster manager keeps locally (no
 * network call). Shared by readiness, the members gauge and the reconciler's watch for lost nodes.
 */
public final class ClusterMembership {
  private ClusterMembership() {
  }

  /**
   * @param nodeId this node's member id; null when not clustered
   * @param members the members seen, this node included (empty when not clustered or lost)
   * @param lostBecause why this node is no longer a member (its cluster member is gone); null otherwise
   */
  public record View(String nodeId, List<String> members, String lostBecause) {
    public boolean clustered() {
      return nodeId != null;
    }

    public boolean lost() {
      return lostBecause != null;
    }
  }

  public static View of(Vertx vertx) {
    ClusterManager cluster = vertx instanceof VertxInternal internal ? internal.clusterManager() : null;
    if (cluster == null) {
      return new View(null, List.of(), null);
    }
    try {
      // isActive() would still say true once the member under this node is gone; getNodes() throws then.
      return new View(cluster.getNodeId(), List.copyOf(cluster.getNodes()), null);
    } catch (RuntimeException e) {
      return new View(cluster.getNodeId(), List.of(), String.valueOf(e.getMessage()));
    }
  }
}
