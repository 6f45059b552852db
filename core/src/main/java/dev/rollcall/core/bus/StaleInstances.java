package dev.rollcall.core.bus;

import dev.rollcall.core.http.ApiError;
import dev.rollcall.core.http.ApiException;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * Seed 03's second instance: whatever presents a ticket or credential of a replaced provision attempt
 * is answered 409 {@code stale_epoch} naming its epoch, and {@link Addresses#AGENT_STALE_INSTANCE} is
 * published so that the provisioner deprovisions it. One place for both, for every module that checks.
 */
public final class StaleInstances {
  /** The extra field of a {@code stale_epoch} answer that names the presenting instance's epoch. */
  public static final String INSTANCE_EPOCH = "instanceEpoch";

  private StaleInstances() {
  }

  /** 409 {@code stale_epoch}, not retryable: this instance must stop. */
  public static ApiException mustStop(long instanceEpoch, long agentEpoch) {
    return refused("this instance belongs to provision attempt " + instanceEpoch + " but the agent is at " + agentEpoch
        + "; this instance must stop", false, instanceEpoch);
  }

  /** 409 {@code stale_epoch} with the caller's own words. */
  public static ApiException refused(String message, boolean retryable, long instanceEpoch) {
    return ApiError.conflict("stale_epoch", message, retryable).with(INSTANCE_EPOCH, instanceEpoch).exception();
  }

  /** Publishes the fact that an instance of {@code instanceEpoch} of the agent is still alive. */
  public static void publish(Vertx vertx, String agentId, long instanceEpoch) {
    vertx.eventBus().publish(Addresses.AGENT_STALE_INSTANCE,
        new JsonObject().put("agentId", agentId).put("provisionEpoch", instanceEpoch));
  }

  /** Publishes the fact if {@code failure} is a {@code stale_epoch} refusal that names the instance's epoch. */
  public static void publishIfStale(Vertx vertx, String agentId, Throwable failure) {
    ApiError error = Failure.toApiError(failure); // a bus reply carries the error as JSON
    if ("stale_epoch".equals(error.error()) && error.extra().getValue(INSTANCE_EPOCH) instanceof Number epoch) {
      publish(vertx, agentId, epoch.longValue());
    }
  }
}
