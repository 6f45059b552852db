package dev.rollcall.core.auth;

import dev.rollcall.core.http.ApiError;
import dev.rollcall.core.http.HttpErrors;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/**
 * Bearer-token authentication of the operator API: {@code Authorization: Bearer <ROLLCALL_ADMIN_TOKEN>}.
 * The configured token is kept only as a hash and compared in constant time.
 */
public final class OperatorAuth implements Handler<RoutingContext> {
  private final byte[] tokenHash;

  public OperatorAuth(String adminToken) {
    if (adminToken == null || adminToken.length() < 16) {
      throw new IllegalArgumentException("the admin token must be at least 16 characters");
    }
    this.tokenHash = Secrets.hash(adminToken);
  }

  @Override
  public void handle(RoutingContext rc) {
    String header = rc.request().getHeader("Authorization");
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
        && Secrets.sameHash(tokenHash, Secrets.hash(header.substring(7).strip()))) {
      rc.next();
      return;
    }
    rc.response().putHeader("WWW-Authenticate", "Bearer realm=\"rollcall-operator\"");
    HttpErrors.respond(rc, new ApiError(401, "operator_unauthorized",
        "the operator API needs 'Authorization: Bearer <admin token>' (ROLLCALL_ADMIN_TOKEN)", false));
  }
}
