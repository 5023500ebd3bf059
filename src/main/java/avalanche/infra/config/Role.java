package avalanche.infra.config;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * What a process takes on ({@code AVALANCHE_ROLES}); every process shares the same servers, so any
 * mix of processes adds up to one Avalanche. Which verticle belongs to which role is listed in
 * docs/architecture.md.
 */
public enum Role {
  /** The public HTTP contract and what it reads locally (sold-out cache, revocation feed, mail). */
  API,
  /**
   * Saga coordinator and participants; Kafka consumer groups split the partitions between
   * processes.
   */
  SAGA,
  /** Periodic work: outbox relay, reservation sweeper, inventory sync, stock repair. */
  JOBS;

  /**
   * Parses {@code api,saga,jobs} (any order, at least one, no repeats); the message names the bad
   * part.
   */
  public static Set<Role> parseList(String value) {
    EnumSet<Role> roles = EnumSet.noneOf(Role.class);
    for (String part : value.split(",", -1)) {
      Role role = parse(part.trim());
      if (!roles.add(role)) {
        throw new ConfigException("names '" + part.trim() + "' twice");
      }
    }
    return roles;
  }

  private static Role parse(String name) {
    for (Role role : values()) {
      if (role.name().toLowerCase(Locale.ROOT).equals(name)) {
        return role;
      }
    }
    throw new ConfigException(
        "must be a comma-separated list of api, saga, jobs, got '" + name + "'");
  }

  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
