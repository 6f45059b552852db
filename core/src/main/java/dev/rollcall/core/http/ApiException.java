package dev.rollcall.core.http;

/** A failure that already knows its {@link ApiError}: handlers and consumers throw or fail with it. */
public final class ApiException extends RuntimeException {
  private final ApiError error;

  public ApiException(ApiError error) {
    super(error.error() + ": " + error.message(), null, false, false);
    this.error = error;
  }

  public ApiError error() {
    return error;
  }
}
