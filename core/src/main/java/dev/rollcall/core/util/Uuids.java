package dev.rollcall.core.util;

import java.util.UUID;

/**
 * Strict parsing of canonical UUID text (8-4-4-4-12 hex digits), by hand rather than by regular
 * expression because every authenticated request parses two of them (the path's agent id and the
 * credential's id). {@link UUID#fromString} alone would accept odd forms such as {@code 1-1-1-1-1}.
 */
public final class Uuids {
  /** Length of canonical UUID text. */
  public static final int TEXT_LENGTH = 36;

  private Uuids() {
  }

  /** The UUID in {@code text[from, from + 36)}, or null unless it is canonical UUID text. */
  public static UUID parseCanonical(String text, int from) {
    if (text == null || from < 0 || text.length() - from < TEXT_LENGTH) {
      return null;
    }
    long high = 0;
    long low = 0;
    for (int i = 0; i < TEXT_LENGTH; i++) {
      char c = text.charAt(from + i);
      if (i == 8 || i == 13 || i == 18 || i == 23) {
        if (c != '-') {
          return null;
        }
        continue;
      }
      int digit = Character.digit(c, 16);
      if (digit < 0 || c > 'f') { // Character.digit also takes non-ASCII digits
        return null;
      }
      if (i < 18) {
        high = (high << 4) | digit;
      } else {
        low = (low << 4) | digit;
      }
    }
    return new UUID(high, low);
  }

  /** The whole text as a canonical UUID, or null. */
  public static UUID parseCanonical(String text) {
    return text != null && text.length() == TEXT_LENGTH ? parseCanonical(text, 0) : null;
  }
}
