package dev.rollcall.core.http;

import dev.rollcall.core.auth.CredentialVerifier;
import dev.rollcall.core.node.NodeContext;

/**
 * What the routes of one HTTP verticle instance share: the node, and one credential cache for every
 * agent route on that event loop (register checks, heartbeats, task reports), so that a credential is
 * fetched once per event loop and one change poll runs per event loop, whatever the number of modules.
 * Create it on the HTTP verticle's context: the verifier's consumer and timer belong to that verticle.
 */
public final class RouteScope {
  private final NodeContext node;
  private CredentialVerifier verifier;

  public RouteScope(NodeContext node) {
    this.node = node;
  }

  public NodeContext node() {
    return node;
  }

  /** The event loop's credential cache, created on first use (a node with no agent routes runs none). */
  public CredentialVerifier verifier() {
    if (verifier == null) {
      verifier = new CredentialVerifier(node.vertx(), node.pool(), node.clock(), node.config().busTimeout());
    }
    return verifier;
  }
}
