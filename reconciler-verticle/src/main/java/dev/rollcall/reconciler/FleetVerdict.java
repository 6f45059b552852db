package dev.rollcall.reconciler;

import dev.rollcall.core.lifecycle.LifecycleStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Mass failure is not agent failure, as one pure function: (what the fleet sample counted per gateway,
 * the silent share, now) → which gateways are silent, which are marked or cleared as unreachable, and
 * whether the whole fleet is silent. No clock, no I/O: {@link FleetView} counts and writes the marks, so
 * every rule is tested at its boundaries in {@code FleetVerdictTest} without a database.
 *
 * <p>Rules:
 * <ul>
 *   <li>a gateway is judged when it has at least {@link #MIN_AGENTS} running agents (starting, ready,
 *       busy, degraded); below that its silence says nothing about the gateway;</li>
 *   <li>it is <em>silent</em> when at least {@code silentPercent} of its running agents are suspect;</li>
 *   <li>the <em>fleet is silent</em> when every judged gateway is (and at least one is judged): the control
 *       plane itself is probably cut off, so no gateway is marked and no offline verdict is made;</li>
 *   <li>a silent gateway without a mark is marked unreachable, now (its agents are then recovered one
 *       probe at a time);</li>
 *   <li>the mark is sticky: it is cleared when a new instance of one of its agents registered after the
 *       mark (a probe worked), or when the suspicion faded with no agent lost since the mark (a blip).</li>
 * </ul>
 */
final class FleetVerdict {
  /** Below this many running agents a gateway's silence says nothing about the gateway. */
  static final int MIN_AGENTS = 3;
  private static final Set<LifecycleStatus> RUNNING = Set.of(LifecycleStatus.STARTING, LifecycleStatus.READY,
      LifecycleStatus.BUSY, LifecycleStatus.DEGRADED);

  private FleetVerdict() {
  }

  /**
   * One gateway as the sample counted it.
   *
   * @param unreachableSince its mark (null: none)
   * @param running agents starting, ready, busy or degraded
   * @param suspect running agents with a lapsed lease
   * @param returned running agents registered after the mark (a probe worked)
   * @param lostSinceMark agents that left running since the mark and are due to come back (offline with a
   *     recovery, provisioning, waking); an agent that stopped on purpose does not hold the mark
   */
  record GatewayCounts(UUID gatewayId, Instant unreachableSince, long running, long suspect, long returned, long lostSinceMark) {
    boolean judged() {
      return running >= MIN_AGENTS;
    }

    boolean silent(int percent) {
      return running > 0 && suspect * 100 >= running * (long) percent;
    }
  }

  /** Adds up the sample's rows (one per gateway and status) into {@link GatewayCounts}. */
  static final class Tally {
    private final Map<UUID, long[]> counts = new HashMap<>();
    private final Map<UUID, Instant> marks = new HashMap<>();

    /** A gateway, with or without agents. */
    void gateway(UUID gatewayId, Instant unreachableSince) {
      counts.computeIfAbsent(gatewayId, id -> new long[4]);
      marks.put(gatewayId, unreachableSince);
    }

    /** The gateway's agents of one status. */
    void agents(UUID gatewayId, LifecycleStatus status, long agents, long suspect, long registeredSinceMark, long lostSinceMark) {
      long[] c = counts.computeIfAbsent(gatewayId, id -> new long[4]);
      if (RUNNING.contains(status)) {
        c[0] += agents;
        c[1] += suspect;
        c[2] += registeredSinceMark;
      } else {
        c[3] += lostSinceMark;
      }
    }

    List<GatewayCounts> gateways() {
      List<GatewayCounts> all = new ArrayList<>(counts.size());
      counts.forEach((id, c) -> all.add(new GatewayCounts(id, marks.get(id), c[0], c[1], c[2], c[3])));
      return all;
    }
  }

  /**
   * @param fleetSilent every judged gateway is silent
   * @param judged how many gateways were judged
   * @param unreachable every gateway marked after this verdict, with the time of its mark
   * @param toMark gateways to mark unreachable now
   * @param toClear gateways whose mark is cleared
   */
  record Verdict(boolean fleetSilent, long judged, Map<UUID, Instant> unreachable, List<GatewayCounts> toMark,
                 List<GatewayCounts> toClear) {
  }

  static Verdict decide(Collection<GatewayCounts> gateways, int silentPercent, Instant now) {
    long judged = gateways.stream().filter(GatewayCounts::judged).count();
    long silent = gateways.stream().filter(g -> g.judged() && g.silent(silentPercent)).count();
    boolean fleetSilent = judged > 0 && silent == judged;
    Map<UUID, Instant> unreachable = new HashMap<>();
    List<GatewayCounts> toMark = new ArrayList<>();
    List<GatewayCounts> toClear = new ArrayList<>();
    for (GatewayCounts g : gateways) {
      if (g.unreachableSince() == null && !fleetSilent && g.judged() && g.silent(silentPercent)) {
        unreachable.put(g.gatewayId(), now);
        toMark.add(g);
      } else if (g.unreachableSince() != null && (g.returned() > 0 || (!g.silent(silentPercent) && g.lostSinceMark() == 0))) {
        toClear.add(g);
      } else if (g.unreachableSince() != null) {
        unreachable.put(g.gatewayId(), g.unreachableSince());
      }
    }
    return new Verdict(fleetSilent, judged, Map.copyOf(unreachable), List.copyOf(toMark), List.copyOf(toClear));
  }
}
