package dev.rollcall.core.auth;

import dev.rollcall.core.util.Uuids;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import java.util.UUID;

/**
 * Bootstrap tickets and agent credentials share one shape, {@code <id>.<secret>}: a public id (a UUID)
 * to find the record in O(1), and 256 random bits, base64url, that only the holder knows. Only the
 * SHA-256 of the secret is stored (a slow password hash buys nothing for 256-bit random secrets), and
 * comparisons are constant-time.
 */
public final class Secrets {
  private static final SecureRandom RANDOM = new SecureRandom();
  // One digest per thread: looking one up per call showed in the heartbeat profile.
  private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JVM", e);
    }
  });
  private static final boolean[] BASE64URL = new boolean[128];

  static {
    for (char c = 'A'; c <= 'Z'; c++) {
      BASE64URL[c] = true;
      BASE64URL[Character.toLowerCase(c)] = true;
    }
    for (char c = '0'; c <= '9'; c++) {
      BASE64URL[c] = true;
    }
    BASE64URL['-'] = true;
    BASE64URL['_'] = true;
  }

  private static final int SECRET_BYTES = 32;
  /** 32 bytes in unpadded base64url. */
  private static final int SECRET_TEXT_LENGTH = 43;

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
    String t = text.strip();
    // Parsed by hand, not by regular expression: this runs on every authenticated request.
    if (t.length() != Uuids.TEXT_LENGTH + 1 + SECRET_TEXT_LENGTH || t.charAt(Uuids.TEXT_LENGTH) != '.') {
      return Optional.empty();
    }
    UUID id = Uuids.parseCanonical(t, 0);
    if (id == null) {
      return Optional.empty();
    }
    // The secret's characters are checked and copied into the digest's input in one pass: no substring,
    // no encoder (base64url is ASCII, so its UTF-8 bytes are its chars).
    byte[] secret = new byte[SECRET_TEXT_LENGTH];
    for (int i = 0; i < SECRET_TEXT_LENGTH; i++) {
      char c = t.charAt(Uuids.TEXT_LENGTH + 1 + i);
      if (c >= BASE64URL.length || !BASE64URL[c]) {
        return Optional.empty();
      }
      secret[i] = (byte) c;
    }
    // digest() resets the digest when it completes, so it is ready for the thread's next call.
    return Optional.of(new PresentedSecret(id, SHA_256.get().digest(secret)));
  }

  public static byte[] hash(String secret) {
    MessageDigest sha256 = SHA_256.get();
    // UTF-8, not US-ASCII: ASCII would turn every other character into '?', so a non-ASCII admin token
    // would match any string of question marks as long. Base64url secrets are the same bytes either way.
    return sha256.digest(secret.getBytes(StandardCharsets.UTF_8));
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
