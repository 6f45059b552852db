package dev.rollcall.core.testing;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.PostgreSQLContainer;

/** Testcontainers, used only where a Docker engine answers (not on these machines). */
final class Containers {
  private Containers() {
  }

  static boolean dockerAvailable() {
    // Ask Testcontainers only when there is a sign of an engine; its probe is slow and logs an ERROR
    // on machines without one (ours).
    boolean hinted = System.getenv("DOCKER_HOST") != null
        || java.nio.file.Files.exists(java.nio.file.Path.of("/var/run/docker.sock"))
        || java.nio.file.Files.exists(java.nio.file.Path.of(System.getProperty("user.home"), ".docker", "run", "docker.sock"));
    if (!hinted) {
      return false;
    }
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (Throwable noDocker) {
      return false;
    }
  }

  /** Starts PostgreSQL 16 and Redis 7; returns their URLs. Testcontainers' Ryuk stops them with the JVM. */
  @SuppressWarnings("resource")
  static String[] start() {
    PostgreSQLContainer<?> pg = new PostgreSQLContainer<>("postgres:16-alpine");
    pg.start();
    GenericContainer<?> redis = new GenericContainer<>("redis:7-alpine").withExposedPorts(6379);
    redis.start();
    String pgUrl = "postgresql://" + pg.getUsername() + ":" + pg.getPassword() + "@" + pg.getHost() + ":"
        + pg.getMappedPort(5432) + "/" + pg.getDatabaseName();
    String redisUrl = "redis://" + redis.getHost() + ":" + redis.getMappedPort(6379);
    return new String[] {pgUrl, redisUrl};
  }
}
