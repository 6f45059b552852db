package dev.rollcall.core.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses the durations operators write: {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}, or ISO-8601. */
public final class Durations {
  private static final Pattern SHORT = Pattern.compile("^(\\d+)(ms|s|m|h)$");

  private Durations() {
  }

  public static Duration parse(String text) {
    String value = text.strip();
    Matcher m = SHORT.matcher(value);
    if (m.matches()) {
      long amount = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(amount);
        case "s" -> Duration.ofSeconds(amount);
        case "m" -> Duration.ofMinutes(amount);
        default -> Duration.ofHours(amount);
      };
    }
    try {
      return Duration.parse(value);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("not a duration: " + text);
    }
  }

  /** The shortest of the forms {@link #parse} reads back. */
  public static String format(Duration duration) {
    long ms = duration.toMillis();
    if (ms % 3_600_000 == 0 && ms > 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms % 60_000 == 0 && ms > 0) {
      return ms / 60_000 + "m";
    }
    if (ms % 1000 == 0) {
      return ms / 1000 + "s";
    }
    return ms + "ms";
  }
}
