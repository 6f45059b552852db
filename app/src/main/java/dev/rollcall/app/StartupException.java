package dev.rollcall.app;

/** A node cannot start; the message is the one line an operator sees. */
final class StartupException extends RuntimeException {
  StartupException(String message) {
    super(message);
  }

  StartupException(String message, Throwable cause) {
    super(message, cause);
  }
}
