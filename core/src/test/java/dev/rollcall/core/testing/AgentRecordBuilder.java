package dev.rollcall.core.testing;

import dev.rollcall.core.lifecycle.LifecycleStatus;
import dev.rollcall.core.persistence.AgentRecord;
import java.time.Instant;
import java.util.UUID;

/** Agent records for pure policy tests: every field settable, sensible defaults (epoch 1, version 3). */
public final class AgentRecordBuilder {
  private UUID id = UUID.randomUUID();
  private UUID gatewayId = UUID.randomUUID();
  private LifecycleStatus status;
  private String statusReason;
  private Instant statusChangedAt;
  private int wakeAttempts;
  private Instant checkinDeadline;
  private Instant lastSeenAt;
  private Instant suspectSince;
  private Instant registeredAt;
  private boolean needsRebootstrap;
  private Instant recoveryAt;
  private int recoveryProbes;
  private Instant updatedAt;

  private AgentRecordBuilder(LifecycleStatus status, Instant at) {
    this.status = status;
    this.statusChangedAt = at;
    this.updatedAt = at;
  }

  /** An agent in {@code status} since {@code at} (also its last update). */
  public static AgentRecordBuilder agent(LifecycleStatus status, Instant at) {
    return new AgentRecordBuilder(status, at);
  }

  public AgentRecordBuilder statusReason(String reason) {
    this.statusReason = reason;
    return this;
  }

  public AgentRecordBuilder wakeAttempts(int attempts) {
    this.wakeAttempts = attempts;
    return this;
  }

  public AgentRecordBuilder checkinDeadline(Instant deadline) {
    this.checkinDeadline = deadline;
    return this;
  }

  public AgentRecordBuilder lastSeenAt(Instant at) {
    this.lastSeenAt = at;
    return this;
  }

  public AgentRecordBuilder suspectSince(Instant at) {
    this.suspectSince = at;
    return this;
  }

  public AgentRecordBuilder registeredAt(Instant at) {
    this.registeredAt = at;
    return this;
  }

  public AgentRecordBuilder needsRebootstrap() {
    this.needsRebootstrap = true;
    return this;
  }

  public AgentRecordBuilder recoveryAt(Instant at) {
    this.recoveryAt = at;
    return this;
  }

  public AgentRecordBuilder recoveryProbes(int probes) {
    this.recoveryProbes = probes;
    return this;
  }

  public AgentRecordBuilder updatedAt(Instant at) {
    this.updatedAt = at;
    return this;
  }

  public AgentRecord build() {
    return new AgentRecord(id, gatewayId, "agent", status, statusReason, statusChangedAt, 3, 1, wakeAttempts, checkinDeadline,
        lastSeenAt, suspectSince, registeredAt, null, 1, needsRebootstrap, false, recoveryAt, recoveryProbes, null,
        statusChangedAt, updatedAt);
  }
}
