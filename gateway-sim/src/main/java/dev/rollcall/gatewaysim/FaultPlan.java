package dev.rollcall.gatewaysim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Which agent gets which fault, decided from a seed: the same seed, agents and shares give the same
 * assignment on every run. Shares are of the fleet, except {@code gateway-outage}, which is a share of
 * the gateways (at least one when asked for): every agent of a chosen gateway gets it.
 */
public final class FaultPlan {
  private FaultPlan() {
  }

  /**
   * @param agentsByGateway agent names per gateway name, in creation order
   * @param shares share of the fleet per profile (0..1); the rest is healthy
   * @return the profile of every agent name
   */
  public static Map<String, FaultProfile> assign(long seed, Map<String, List<String>> agentsByGateway,
                                                 Map<FaultProfile, Double> shares) {
    Random random = new Random(seed);
    Map<String, FaultProfile> plan = new LinkedHashMap<>();
    List<String> gateways = new ArrayList<>(agentsByGateway.keySet());
    Collections.sort(gateways);
    double outageShare = shares.getOrDefault(FaultProfile.GATEWAY_OUTAGE, 0.0);
    int darkGateways = outageShare <= 0 ? 0 : Math.max(1, (int) Math.round(outageShare * gateways.size()));
    List<String> shuffledGateways = new ArrayList<>(gateways);
    Collections.shuffle(shuffledGateways, random);
    // Never every gateway: a fleet that is dark everywhere is the control plane cut off, not a fault to converge from.
    for (String gateway : shuffledGateways.subList(0, Math.min(darkGateways, Math.max(0, gateways.size() - 1)))) {
      agentsByGateway.get(gateway).forEach(agent -> plan.put(agent, FaultProfile.GATEWAY_OUTAGE));
    }
    List<String> rest = new ArrayList<>();
    for (String gateway : gateways) {
      for (String agent : agentsByGateway.get(gateway)) {
        if (!plan.containsKey(agent)) {
          rest.add(agent);
        }
      }
    }
    Collections.shuffle(rest, random);
    int total = agentsByGateway.values().stream().mapToInt(List::size).sum();
    int next = 0;
    Map<FaultProfile, Double> ordered = new EnumMap<>(shares);
    for (Map.Entry<FaultProfile, Double> e : ordered.entrySet()) {
      if (e.getKey() == FaultProfile.GATEWAY_OUTAGE || e.getKey() == FaultProfile.HEALTHY) {
        continue;
      }
      int count = e.getValue() <= 0 ? 0 : Math.max(1, (int) Math.round(e.getValue() * total));
      if (next + count > rest.size()) {
        throw new IllegalArgumentException("the fault shares need " + (next + count) + " agents besides the dark gateways' "
            + (total - rest.size()) + ", but only " + rest.size() + " are left: lower the shares or add agents");
      }
      for (int i = 0; i < count; i++) {
        plan.put(rest.get(next++), e.getKey());
      }
    }
    while (next < rest.size()) {
      plan.put(rest.get(next++), FaultProfile.HEALTHY);
    }
    return plan;
  }

  /** Parses {@code crash-on-boot=0.05,stuck-starting=0.1}; unknown profiles and bad shares are errors. */
  public static Map<FaultProfile, Double> parseShares(String text) {
    Map<FaultProfile, Double> shares = new EnumMap<>(FaultProfile.class);
    if (text == null || text.isBlank()) {
      return shares;
    }
    for (String part : text.split(",")) {
      String[] kv = part.trim().split("=", 2);
      FaultProfile profile = FaultProfile.fromWire(kv[0].trim()).orElseThrow(() -> new IllegalArgumentException(
          "unknown fault profile '" + kv[0].trim() + "'; known: " + java.util.Arrays.stream(FaultProfile.values())
              .map(FaultProfile::wireName).toList()));
      double share;
      try {
        share = kv.length == 2 ? Double.parseDouble(kv[1].trim()) : Double.NaN;
      } catch (NumberFormatException e) {
        share = Double.NaN;
      }
      if (!(share >= 0 && share <= 1)) {
        throw new IllegalArgumentException("fault share of " + kv[0].trim() + " must be a number from 0 to 1, got '"
            + (kv.length == 2 ? kv[1].trim() : "") + "'");
      }
      shares.put(profile, share);
    }
    double sum = shares.entrySet().stream().filter(e -> e.getKey() != FaultProfile.GATEWAY_OUTAGE)
        .mapToDouble(Map.Entry::getValue).sum();
    if (sum > 1.0001) {
      throw new IllegalArgumentException("fault shares add up to " + sum + "; at most 1");
    }
    return shares;
  }
}
