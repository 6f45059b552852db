package dev.rollcall.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.config.RollcallConfig;
import dev.rollcall.core.config.Setting;
import dev.rollcall.core.embedded.EmbeddedServers;
import dev.rollcall.core.node.RollcallModule;
import dev.rollcall.core.testing.TestServers;
import dev.rollcall.gatewaysim.GatewaySimModule;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard in a real headless Chromium, driven over the DevTools protocol (a WebSocket from the JDK,
 * no extra tooling), against a running dev stack with its simulated fleet: a wrong token is refused, and
 * the refusal goes once the admin token is in (whenever the wrong token's answers come in); see the fleet,
 * last seen relative with the exact instant on hover, open an agent, click Provision, and watch the live
 * update bring the new instance in.
 * Saves a screenshot as {@code app/target/dashboard.png}. Skipped, saying so, when no Chromium is found
 * (Debian: {@code apt-get install chromium}; or set {@code ROLLCALL_TEST_CHROMIUM}).
 */
class DashboardBrowserTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String WRONG_TOKEN = "not-the-admin-token";
  private static final String REFUSED = "The admin token was refused";

  @Test
  void anOperatorSeesTheFleetOpensAnAgentAndProvisionsIt(@TempDir Path profile) throws Exception {
    Optional<Path> chromium = chromium();
    if (chromium.isEmpty()) {
      System.out.println("SKIPPED DashboardBrowserTest: no Chromium found (install Debian's chromium or set ROLLCALL_TEST_CHROMIUM)");
    }
    Assumptions.assumeTrue(chromium.isPresent(), "no Chromium found (install Debian's chromium or set ROLLCALL_TEST_CHROMIUM)");

    TestServers servers = TestServers.get();
    int port = EmbeddedServers.freePort();
    RollcallConfig config = RollcallConfig.of(Map.of(Setting.PG_URL, servers.pgUrl(), Setting.REDIS_URL, servers.redisUrl(),
        Setting.HTTP_HOST, "127.0.0.1", Setting.HTTP_PORT, String.valueOf(port), Setting.ADMIN_TOKEN, "dashboard-test-token-0123456789"));
    GatewaySimModule sim = new GatewaySimModule(3);
    List<RollcallModule> modules = new ArrayList<>(Modules.controlPlane());
    modules.add(sim);
    int debugPort = EmbeddedServers.freePort();
    Process browser = null;
    try (Node node = Node.start(config, Node.Mode.DEV, modules)) {
      // A fleet of its own: gateway names are unique, and other tests may have left a dev fleet behind.
      String prefix = "ui-" + Long.toString(System.nanoTime(), 36);
      DevFleet.create(node, sim, new PrintWriter(new StringWriter()), prefix);
      String base = "http://127.0.0.1:" + port;
      browser = new ProcessBuilder(chromium.get().toString(), "--headless=new", "--no-sandbox", "--disable-gpu",
          "--remote-debugging-port=" + debugPort, "--user-data-dir=" + profile, "--window-size=1280,1000", "about:blank")
          .redirectErrorStream(true).redirectOutput(profile.resolve("chromium.log").toFile()).start();
      String ws = pageSocket(debugPort);
      try (Cdp cdp = new Cdp(ws)) {
        cdp.call("Page.enable", new JsonObject());
        cdp.call("Page.navigate", new JsonObject().put("url", base + "/ui/"));
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> Boolean.TRUE.equals(
            cdp.eval("location.pathname === '/ui/' && document.readyState === 'complete' && !!document.querySelector('#token')")));

        // A wrong token first: the banner says it was refused, and live updates are off.
        cdp.eval("document.querySelector('#token').value = '" + WRONG_TOKEN + "';"
            + "document.querySelector('#login').requestSubmit(); true");
        Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100)).until(() ->
            !Boolean.TRUE.equals(cdp.eval("document.querySelector('#message').hidden"))
                && String.valueOf(cdp.eval("document.querySelector('#message').textContent")).contains(REFUSED)
                && "offline".equals(cdp.eval("document.querySelector('#live').textContent")));

        // Then the wrong token again, its answers held back by the page's fetch until released below, and at
        // once the right token: the wrong token's answers, whenever they come in, must not overwrite what
        // the right token brought (its stream loop was aborted, its load is outdated).
        cdp.eval("window.__fetch = window.fetch; window.__held = [];"
            + "window.fetch = (url, opts) => { const answer = window.__fetch(url, opts);"
            + "  if (!String(opts && opts.headers && opts.headers.Authorization).endsWith('" + WRONG_TOKEN + "')) return answer;"
            + "  return new Promise((resolve, reject) => window.__held.push(() => answer.then(resolve, reject))); };"
            + "document.querySelector('#token').value = '" + WRONG_TOKEN + "';"
            + "document.querySelector('#login').requestSubmit();"
            + "document.querySelector('#token').value = 'dashboard-test-token-0123456789';"
            + "document.querySelector('#login').requestSubmit(); true");
        // The fleet: every dev agent listed, and ready once the simulated agents checked in.
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() ->
            ((Number) cdp.eval("[...document.querySelectorAll('#agents tbody tr')].filter(r => r.textContent.includes('" + prefix
                + "') && r.textContent.includes('ready')).length"))
                .intValue() >= 6);
        assertThat((String) cdp.eval("document.querySelector('#overview').textContent")).contains("ready", "sync templates");
        assertThat(cdp.eval("document.querySelector('#live').textContent")).isEqualTo("live");
        // The held answers of the wrong token come in now: the page still says live, and the refusal is gone
        // (it described a state that ended: the banner is empty, nothing else went wrong).
        assertThat(((Number) cdp.eval("window.__held.length")).intValue()).as("held answers of the wrong token").isGreaterThanOrEqualTo(2);
        cdp.eval("window.__held.forEach((release) => release()); window.fetch = window.__fetch;"
            + "new Promise((r) => setTimeout(() => r(true), 1500))");
        assertThat(cdp.eval("document.querySelector('#live').textContent")).isEqualTo("live");
        assertThat((String) cdp.eval("document.querySelector('#message').textContent")).doesNotContain(REFUSED).doesNotContain("401");
        assertThat(cdp.eval("document.querySelector('#message').hidden")).as("the banner, saying: %s",
            cdp.eval("document.querySelector('#message').textContent")).isEqualTo(true);

        // Last seen reads relative ("N s ago"), with the exact instant in its title, and it ages on the page
        // (the 5 s refresh, no reload: the same element's text changes).
        JsonArray seen = new JsonArray();
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() -> {
          Object cell = cdp.eval("(() => { const t = [...document.querySelectorAll('#agents tbody tr')]"
              + ".filter(r => r.textContent.includes('" + prefix + "')).map(r => r.querySelector('td.last-seen time'))"
              + ".find(t => t && /^\\d+ s ago$/.test(t.textContent)); return t ? JSON.stringify([t.textContent, t.title]) : null; })()");
          if (cell == null) {
            return false;
          }
          seen.addAll(new JsonArray((String) cell));
          return true;
        });
        Matcher ago = Pattern.compile("(\\d+) s ago").matcher(seen.getString(0));
        assertThat(ago.matches()).as(seen.getString(0)).isTrue();
        Instant lastSeen = Instant.parse(seen.getString(1));
        assertThat(Duration.between(lastSeen, Instant.now()).toSeconds() - Long.parseLong(ago.group(1)))
            .as("%s for last seen at %s", seen.getString(0), lastSeen).isBetween(-2L, 10L);
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250)).until(() -> Boolean.TRUE.equals(cdp.eval(
            "(() => { const p = window.__probe;"
            + " if (!p || !p.el.isConnected) {"
            + "  const el = [...document.querySelectorAll('#agents td.last-seen time')].find(t => /^(just now|\\d+ s ago)$/.test(t.textContent));"
            + "  window.__probe = el ? { el, text: el.textContent } : null; return false; }"
            + " return p.el.textContent !== p.text; })()")));

        // Open an agent: its fields and seed 01's event names. Every agent of this fleet registered; not every
        // one was woken (on a busy machine a fast agent registers before its provision is even accepted, and
        // then needs no wake), so the page is awaited on the registration.
        // One of this run's agents (the shared test database may hold other fleets).
        cdp.eval("[...document.querySelectorAll('#agents tbody tr')].find(r => r.textContent.includes('" + prefix + "')).click(); true");
        try {
          Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).until(() ->
              String.valueOf(cdp.eval("document.querySelector('#timeline').textContent")).contains("lifecycle.agent.registered"));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
          throw new AssertionError("the agent page did not show its events; the page says: "
              + cdp.eval("'selected=' + state.selected + ' hidden=' + document.querySelector('#agent').hidden + ' message='"
              + " + document.querySelector('#message').textContent + ' timeline=' + document.querySelector('#timeline').textContent"
              + " + ' | ' + document.body.innerText.slice(0, 300)"), e);
        }
        assertThat(cdp.eval("document.querySelector('[data-field=provisionEpoch]').textContent")).isEqualTo("1");
        // The agent's last seen and its events' times read relative too, each with its exact instant.
        JsonArray times = new JsonArray((String) cdp.eval("JSON.stringify([...document.querySelectorAll("
            + "'[data-field=lastSeenAt] time, #timeline time')].map(t => [t.textContent, t.title]))"));
        assertThat(times.size()).as("the agent's times").isGreaterThan(1);
        for (Object t : times) {
          JsonArray time = (JsonArray) t;
          assertThat(time.getString(0)).matches("just now|\\d+ (s|min|h|d) ago");
          Instant.parse(time.getString(1));
        }

        // Provision it again: the live stream brings the new instance's epoch in without a reload.
        cdp.eval("document.querySelector('[data-action=provision]').click(); true");
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() ->
            "2".equals(cdp.eval("document.querySelector('[data-field=provisionEpoch]').textContent"))
                && "ready".equals(cdp.eval("document.querySelector('[data-field=lifecycleStatus]').textContent")));
        assertThat((String) cdp.eval("document.querySelector('#timeline').textContent")).contains("lifecycle.provision.requested");

        JsonObject shot = cdp.call("Page.captureScreenshot", new JsonObject().put("format", "png"));
        Path png = Path.of("target", "dashboard.png");
        Files.write(png, Base64.getDecoder().decode(shot.getString("data")));
        assertThat(Files.size(png)).isGreaterThan(10_000);
      }
    } finally {
      if (browser != null) {
        browser.destroy();
        if (!browser.waitFor(10, TimeUnit.SECONDS)) {
          browser.destroyForcibly();
        }
      }
    }
  }

  private static Optional<Path> chromium() {
    String configured = System.getenv("ROLLCALL_TEST_CHROMIUM");
    if (configured != null && Files.isExecutable(Path.of(configured))) {
      return Optional.of(Path.of(configured));
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      for (String name : new String[] {"chromium", "chromium-browser", "google-chrome"}) {
        Path candidate = Path.of(dir, name);
        if (Files.isExecutable(candidate)) {
          return Optional.of(candidate);
        }
      }
    }
    return Optional.empty();
  }

  /** The DevTools WebSocket of the browser's first page, once it listens. */
  private static String pageSocket(int port) {
    String[] url = new String[1];
    Awaitility.await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list")).build(),
          HttpResponse.BodyHandlers.ofString());
      for (Object o : new JsonArray(r.body())) {
        JsonObject target = (JsonObject) o;
        if ("page".equals(target.getString("type"))) {
          url[0] = target.getString("webSocketDebuggerUrl");
          return true;
        }
      }
      return false;
    });
    return url[0];
  }

  /** A minimal DevTools protocol client: numbered calls, answers matched by id. */
  private static final class Cdp implements AutoCloseable {
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonObject>> pending = new ConcurrentHashMap<>();
    private final WebSocket socket;

    Cdp(String url) throws Exception {
      socket = HTTP.newWebSocketBuilder().buildAsync(URI.create(url), new WebSocket.Listener() {
        private final StringBuilder frame = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
          frame.append(data);
          if (last) {
            JsonObject message = new JsonObject(frame.toString());
            frame.setLength(0);
            CompletableFuture<JsonObject> answer = message.containsKey("id") ? pending.remove(message.getInteger("id")) : null;
            if (answer != null) {
              if (message.containsKey("error")) {
                answer.completeExceptionally(new IllegalStateException(message.getJsonObject("error").encode()));
              } else {
                answer.complete(message.getJsonObject("result", new JsonObject()));
              }
            }
          }
          ws.request(1);
          return null;
        }
      }).get(10, TimeUnit.SECONDS);
    }

    JsonObject call(String method, JsonObject params) throws Exception {
      int id = ids.incrementAndGet();
      CompletableFuture<JsonObject> answer = new CompletableFuture<>();
      pending.put(id, answer);
      socket.sendText(new JsonObject().put("id", id).put("method", method).put("params", params).encode(), true).get(5, TimeUnit.SECONDS);
      return answer.get(20, TimeUnit.SECONDS);
    }

    /** Evaluates an expression in the page; its value (awaited when it is a promise). */
    Object eval(String expression) throws Exception {
      JsonObject result = call("Runtime.evaluate", new JsonObject().put("expression", expression)
          .put("returnByValue", true).put("awaitPromise", true));
      if (result.containsKey("exceptionDetails")) {
        throw new IllegalStateException("page error: " + result.getJsonObject("exceptionDetails").encode());
      }
      return result.getJsonObject("result").getValue("value");
    }

    @Override
    public void close() {
      socket.abort();
    }
  }
}
