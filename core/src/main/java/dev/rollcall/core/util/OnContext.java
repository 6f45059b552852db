package dev.rollcall.core.util;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.function.Supplier;

/** Runs work that is confined to a verticle's event loop from any thread, and hands back its outcome. */
public final class OnContext {
  private OnContext() {
  }

  /** Runs {@code work} on {@code context}; the future completes as the work's future does. */
  public static <T> Future<T> run(Context context, Supplier<Future<T>> work) {
    Promise<T> done = Promise.promise();
    context.runOnContext(v -> {
      try {
        work.get().onComplete(done);
      } catch (RuntimeException e) {
        done.fail(e);
      }
    });
    return done.future();
  }
}
