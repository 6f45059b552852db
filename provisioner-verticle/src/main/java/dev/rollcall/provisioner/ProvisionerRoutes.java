package dev.rollcall.provisioner;

import dev.rollcall.core.persistence.TaskRecord;
import dev.rollcall.core.persistence.TaskRepository;
import dev.rollcall.core.auth.CredentialVerifier;
import dev.rollcall.core.bus.Addresses;
import dev.rollcall.core.bus.ProvisionerClient;
import dev.rollcall.core.bus.ProvisionerMessages;
import dev.rollcall.core.http.ApiError;
import dev.rollcall.core.http.HttpErrors;
import dev.rollcall.core.http.RequestInputs;
import dev.rollcall.core.http.RouteContributor;
import dev.rollcall.core.lifecycle.LifecycleStatus;
import dev.rollcall.core.node.NodeContext;
import dev.rollcall.core.persistence.AgentRecord;
import dev.rollcall.core.persistence.GatewayRecord;
import dev.rollcall.core.persistence.LifecycleEventRecord;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.util.UUID;

/**
 * The operator API for gateways, agents and tasks, and the agent's task reports. Commands that change
 * an agent go over the bus to a provisioner (single flight is decided there, by the database); reads
 * and task reports go straight to PostgreSQL, where every change is a conditional update anyway.
 */
final class ProvisionerRoutes implements RouteContributor {
  private static final int MAX_PAGE = 500;

  private final NodeContext node;
  private final CredentialVerifier verifier;
  private final TaskRepository tasks;
  private final ProvisionerClient provisioner;

  ProvisionerRoutes(NodeContext node, CredentialVerifier verifier) {
    this.node = node;
    this.verifier = verifier;
    this.provisioner = new ProvisionerClient(node.vertx(), node.config());
    this.tasks = new TaskRepository(node.pool(), node.clock(), node.agentRepository());
  }

  @Override
  public void mountAgentRoutes(Router router) {
    router.post("/api/v1/agents/:agentId/tasks/:taskId/started").handler(rc -> taskReport(rc, false));
    router.post("/api/v1/agents/:agentId/tasks/:taskId/ack").handler(rc -> taskReport(rc, true));
  }

  @Override
  public void mountOperatorRoutes(Router router) {
    router.post("/api/v1/gateways").handler(this::createGateway);
    router.get("/api/v1/gateways").handler(this::listGateways);
    router.post("/api/v1/agents").handler(this::createAgent);
    router.get("/api/v1/agents").handler(this::listAgents);
    router.get("/api/v1/agents/:agentId").handler(this::getAgent);
    router.get("/api/v1/agents/:agentId/events").handler(this::agentEvents);
    router.post("/api/v1/agents/:agentId/provision").handler(rc -> HttpErrors.answer(rc, 202,
        provisioner.provision(ProvisionerMessages.Provision.byOperator(RequestInputs.uuidParam(rc, "agentId")))
            .map(ProvisionerMessages.Operation::toJson)));
    router.post("/api/v1/agents/:agentId/wake").handler(rc -> HttpErrors.answer(rc, 200,
        provisioner.wake(ProvisionerMessages.Wake.byOperator(RequestInputs.uuidParam(rc, "agentId")))));
    router.delete("/api/v1/agents/:agentId").handler(rc -> HttpErrors.answer(rc, 200,
        provisioner.deleteAgent(new ProvisionerMessages.DeleteAgent(RequestInputs.uuidParam(rc, "agentId")))));
    router.post("/api/v1/tasks").handler(this::createTask);
    router.get("/api/v1/fleet/summary").handler(rc -> HttpErrors.answer(rc, 200, node.agentRepository().countsByGateway()));
    router.get("/api/v1/tasks").handler(this::listTasks);
    router.get("/api/v1/tasks/:taskId").handler(this::getTask);
  }

  private void createGateway(RoutingContext rc) {
    JsonObject body = RequestInputs.jsonBody(rc);
    String name = RequestInputs.requiredString(body, "name", 200);
    String baseUrl = httpUrl(RequestInputs.requiredString(body, "baseUrl", 2000));
    int templateVersion = RequestInputs.optionalInt(body, "templateVersion", 1, Integer.MAX_VALUE, 1);
    HttpErrors.answer(rc, 201, node.gatewayRepository().create(name, baseUrl, templateVersion).map(GatewayRecord::toJson));
  }

  private void listGateways(RoutingContext rc) {
    int limit = RequestInputs.queryInt(rc, "limit", 1, MAX_PAGE, 100);
    String after = rc.queryParams().get("after");
    if (after != null && (after.isEmpty() || after.length() > 200)) {
      throw ApiError.badRequest("invalid_query", "after must be a gateway name (1 to 200 characters)").exception();
    }
    HttpErrors.answer(rc, 200, node.gatewayRepository().list(after, limit).map(page -> new JsonObject()
        .put("gateways", new JsonArray(page.stream().map(GatewayRecord::toJson).toList()))
        // Keyset paging by name, like agents by id: pass next as after for the following page.
        .put("next", page.size() == limit ? page.get(page.size() - 1).name() : null)));
  }

  private void createAgent(RoutingContext rc) {
    JsonObject body = RequestInputs.jsonBody(rc);
    UUID gatewayId = RequestInputs.uuid(body.getValue("gatewayId") instanceof String s ? s : null, "gatewayId");
    String name = RequestInputs.requiredString(body, "name", 200);
    Integer templateVersion = body.getValue("templateVersion") == null ? null
        : RequestInputs.optionalInt(body, "templateVersion", 1, Integer.MAX_VALUE, 1);
    HttpErrors.answer(rc, 202, provisioner.createAgent(new ProvisionerMessages.CreateAgent(gatewayId, name, templateVersion)));
  }

  private void listAgents(RoutingContext rc) {
    String statusText = rc.queryParams().get("status");
    LifecycleStatus status = null;
    if (statusText != null) {
      status = LifecycleStatus.fromWire(statusText).orElseThrow(() -> ApiError.badRequest("invalid_query",
          "status must be one of " + java.util.Arrays.stream(LifecycleStatus.values()).map(LifecycleStatus::wireName).toList()).exception());
    }
    UUID gatewayId = RequestInputs.queryUuid(rc, "gatewayId");
    UUID after = RequestInputs.queryUuid(rc, "after");
    int limit = RequestInputs.queryInt(rc, "limit", 1, MAX_PAGE, 100);
    HttpErrors.answer(rc, 200, node.agentRepository().list(status, gatewayId, after, limit).map(page -> {
      JsonObject json = new JsonObject().put("agents", new JsonArray(page.stream().map(AgentRecord::toJson).toList()));
      // Keyset pagination: pass "next" as ?after= for the following page; absent on the last one.
      json.put("next", page.size() == limit ? page.get(page.size() - 1).id().toString() : null);
      return json;
    }));
  }

  private void getAgent(RoutingContext rc) {
    UUID agentId = RequestInputs.uuidParam(rc, "agentId");
    HttpErrors.answer(rc, 200, node.agentRepository().find(agentId).map(found -> found.map(AgentRecord::toJson).orElseThrow(() ->
        ApiError.notFound("agent_not_found", "agent " + agentId + " does not exist").exception())));
  }

  private void agentEvents(RoutingContext rc) {
    UUID agentId = RequestInputs.uuidParam(rc, "agentId");
    int after = RequestInputs.queryInt(rc, "after", 0, Integer.MAX_VALUE, 0);
    int limit = RequestInputs.queryInt(rc, "limit", 1, MAX_PAGE, 100);
    // ?latest=N: the newest N events (still oldest first), for a look at what just happened.
    int latest = RequestInputs.queryInt(rc, "latest", 0, MAX_PAGE, 0);
    HttpErrors.answer(rc, 200, node.agentRepository().find(agentId).compose(found -> {
      if (found.isEmpty()) {
        return Future.failedFuture(ApiError.notFound("agent_not_found", "agent " + agentId + " does not exist").exception());
      }
      return latest > 0 ? node.agentRepository().latestEvents(agentId, latest) : node.agentRepository().events(agentId, after, limit);
    }).map(events -> new JsonObject().put("events", new JsonArray(events.stream().map(LifecycleEventRecord::toJson).toList()))));
  }

  private void createTask(RoutingContext rc) {
    JsonObject body = RequestInputs.jsonBody(rc);
    Object agentText = body.getValue("agentId");
    Object gatewayText = body.getValue("gatewayId");
    if ((agentText == null) == (gatewayText == null)) {
      throw ApiError.badRequest("invalid_target", "give exactly one of agentId (that agent) or gatewayId (any ready agent of it)").exception();
    }
    Object payload = body.getValue("payload");
    if (payload != null && !(payload instanceof JsonObject)) {
      throw ApiError.badRequest("invalid_payload", "payload must be a JSON object").exception();
    }
    int maxAttempts = RequestInputs.optionalInt(body, "maxAttempts", 1, 100, node.config().taskMaxAttempts());
    JsonObject taskPayload = payload == null ? new JsonObject() : (JsonObject) payload;
    Future<TaskRecord> created;
    if (agentText != null) {
      UUID agentId = RequestInputs.uuid(agentText instanceof String s ? s : null, "agentId");
      created = Provisioning.liveAgent(node.agentRepository(), agentId)
          .compose(agent -> tasks.create(agent.gatewayId(), agentId, taskPayload, maxAttempts));
    } else {
      UUID gatewayId = RequestInputs.uuid(gatewayText instanceof String s ? s : null, "gatewayId");
      created = tasks.create(gatewayId, null, taskPayload, maxAttempts);
    }
    HttpErrors.answer(rc, 201, created.map(task -> {
      node.vertx().eventBus().publish(Addresses.TASK_QUEUED,
          new JsonObject().put("taskId", task.id().toString()).put("gatewayId", task.gatewayId().toString()));
      return task.toJson();
    }));
  }

  private void getTask(RoutingContext rc) {
    UUID taskId = RequestInputs.uuidParam(rc, "taskId");
    HttpErrors.answer(rc, 200, tasks.find(taskId).compose(found -> {
      TaskRecord task = found.orElseThrow(() -> ApiError.notFound("task_not_found", "task " + taskId + " does not exist").exception());
      return tasks.events(taskId).map(events -> task.toJson().put("events", events));
    }));
  }

  /** The newest tasks, of one agent with {@code ?agentId=}; {@code ?limit=} (default 100). */
  private void listTasks(RoutingContext rc) {
    UUID agentId = RequestInputs.queryUuid(rc, "agentId");
    int limit = RequestInputs.queryInt(rc, "limit", 1, MAX_PAGE, 100);
    HttpErrors.answer(rc, 200, tasks.list(agentId, limit)
        .map(page -> new JsonObject().put("tasks", new JsonArray(page.stream().map(TaskRecord::toJson).toList()))));
  }

  /** {@code started} or {@code ack} from the agent, with its credential, naming the attempt it ran. */
  private void taskReport(RoutingContext rc, boolean ack) {
    UUID agentId = RequestInputs.uuidParam(rc, "agentId");
    UUID taskId = RequestInputs.uuidParam(rc, "taskId");
    JsonObject body = RequestInputs.jsonBody(rc);
    if (!(body.getValue("attempt") instanceof Integer)) {
      throw ApiError.badRequest("missing_field", "field 'attempt' is required: the attempt number the task was started with").exception();
    }
    int attempt = RequestInputs.optionalInt(body, "attempt", 1, Integer.MAX_VALUE, 1);
    Object result = body.getValue("result");
    if (result != null && !(result instanceof JsonObject)) {
      throw ApiError.badRequest("invalid_result", "result must be a JSON object").exception();
    }
    HttpErrors.answer(rc, 200, verifier.verify(rc.request().getHeader(CredentialVerifier.HEADER), agentId)
        .compose(credential -> tasks.report(agentId, taskId, attempt, ack, (JsonObject) result))
        .compose(report -> report instanceof TaskRepository.Report.Accepted accepted
            ? Future.succeededFuture(accepted.task().toJson())
            : Future.failedFuture(((TaskRepository.Report.Refused) report).error().exception())));
  }

  private static String httpUrl(String text) {
    try {
      URI uri = new URI(text);
      if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null && uri.getUserInfo() == null) {
        return text;
      }
    } catch (java.net.URISyntaxException e) {
      // answered below
    }
    throw ApiError.badRequest("invalid_base_url", "baseUrl must be an absolute http(s) URL without credentials").exception();
  }
}
