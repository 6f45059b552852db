package dev.rollcall.core.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Bootstrap tickets and agent credentials share one shape, {@code <id>.<secret>}: a public id (a UUID)
 * to find the record in O(1), and 256 random bits, base64url, that only the holder knows. Only the
 * SHA-256 of the secret is stored (a slow password hash buys nothing for 256-bit random secrets), and
 * comparisons are constant-time.
 */
public final class Secrets {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int SECRET_BYTES = 32;
  private static final Pattern SHAPE = Pattern.compile(
      "^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\\.([A-Za-z0-9_-]{43})$");

  private Secrets() {
  }

  /** A fresh {@code id.secret}; the text is handed out once and never stored. */
  public static IssuedSecret generate() {
    byte[] bytes = new byte[SECRET_BYTES];
    RANDOM.nextBytes(bytes);
    String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    UUID id = UUID.randomUUID();
    return new IssuedSecret(id, id + "." + secret, hash(secret));
  }

  /** Splits a presented {@code id.secret}; empty if it does not have the shape at all. */
  public static Optional<PresentedSecret> parse(String text) {
    if (text == null || text.length() > 100) {
      return Optional.empty();
    }
    var m = SHAPE.matcher(text.strip());
    if (!m.matches()) {
      return Optional.empty();
    }
    return Optional.of(new PresentedSecret(UUID.fromString(m.group(1)), hash(m.group(2))));
  }

  public static byte[] hash(String secret) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.US_ASCII));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JVM", e);
    }
  }

  /** Constant-time comparison of two hashes. */
  public static boolean sameHash(byte[] a, byte[] b) {
    return a != null && b != null && MessageDigest.isEqual(a, b);
  }

  /** A newly minted secret: its id, the text to hand out once, and the hash to store. */
  public record IssuedSecret(UUID id, String text, byte[] hash) {
    @Override
    public String toString() {
      return "IssuedSecret[" + id + ".***]";
    }
  }

  /** A presented secret: its id and the hash of its secret half (the secret itself is not kept). */
  public record PresentedSecret(UUID id, byte[] hash) {
    @Override
    public String toString() {
      return "PresentedSecret[" + id + ".***]";
    }
  }
}
