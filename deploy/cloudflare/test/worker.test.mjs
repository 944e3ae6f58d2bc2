// The Worker module as wrangler bundles it, inspected in Node (test/workers-runtime-stub.mjs stands in for the
// runtime's own module). What serves D1 to the container in production is checked against a real D1 in the D1 step
// of test.sh, through the dev route; this checks the wiring that only a deployed container would otherwise exercise.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Container } from "@cloudflare/containers";
import worker, { ChatServer } from "../src/worker.js";
import { D1_HOST, containerEnv } from "../src/container-env.js";
import { CLIENT_IP_HEADER, edgeClientIp, forContainer } from "../src/for-container.js";

const registered = Object.getOwnPropertyDescriptor(Container, "outboundByHost").get;

test("the D1 outbound handler is registered for the container's class, where the ContainerProxy looks it up", () => {
  assert.equal(Object.getOwnPropertyDescriptor(ChatServer, "outboundByHost"), undefined, "an own static property would shadow the registry");
  assert.equal(typeof registered.call(ChatServer)?.[D1_HOST], "function");
});

test("the container runs Confab in Production on port 8080, on D1 at the host the handler answers, with the secret", () => {
  const env = containerEnv({ SECRET_KEY_BASE: "a secret" });
  assert.deepEqual(env, {
    ASPNETCORE_ENVIRONMENT: "Production",
    PORT: "8080",
    SECRET_KEY_BASE: "a secret",
    Storage__Provider: "D1",
    Storage__D1__BaseUrl: `http://${D1_HOST}`,
    Confab__RateLimits__ClientIpHeader: "CF-Connecting-IP",
    Confab__Telemetry__MetricsEnabled: "false",
  });
  assert.equal(new URL(env.Storage__D1__BaseUrl).hostname, D1_HOST);
  assert.ok(D1_HOST in registered.call(ChatServer));
});

test("the container is told to read the visitor's address from CF-Connecting-IP, and PHX_HOST when one is set", () => {
  const env = containerEnv({ SECRET_KEY_BASE: "a secret", PHX_HOST: "chat.example.com" });
  assert.equal(env.Confab__RateLimits__ClientIpHeader, "CF-Connecting-IP");
  assert.equal(env.Confab__RateLimits__ClientIpHeader, CLIENT_IP_HEADER, "the header the Worker sets is the one Confab reads");
  assert.equal(env.PHX_HOST, "chat.example.com");
});

test("PHX_HOST is left out when the var is unset, empty or not a string (Confab then checks Origin against the request's own host)", () => {
  for (const PHX_HOST of [undefined, "", "  ", 42]) {
    const env = containerEnv({ SECRET_KEY_BASE: "a secret", PHX_HOST });
    assert.equal("PHX_HOST" in env, false, `PHX_HOST: ${JSON.stringify(PHX_HOST)}`);
    assert.equal(env.Confab__RateLimits__ClientIpHeader, "CF-Connecting-IP");
  }
});

test("/metrics is served only behind the METRICS_TOKEN secret: without one it is turned off, not left open", () => {
  const withToken = containerEnv({ SECRET_KEY_BASE: "a secret", METRICS_TOKEN: "a metrics token" });
  assert.equal(withToken.Confab__Telemetry__MetricsToken, "a metrics token");
  assert.equal("Confab__Telemetry__MetricsEnabled" in withToken, false);
  for (const METRICS_TOKEN of [undefined, "", " "]) {
    const env = containerEnv({ SECRET_KEY_BASE: "a secret", METRICS_TOKEN });
    assert.equal(env.Confab__Telemetry__MetricsEnabled, "false", `METRICS_TOKEN: ${JSON.stringify(METRICS_TOKEN)}`);
    assert.equal("Confab__Telemetry__MetricsToken" in env, false);
  }
});

// A visitor's request as the Worker receives it: `edgeIp` stands for what Cloudflare's edge put in CF-Connecting-IP.
function visitorRequest({ edgeIp, method = "GET", url = "https://chat.example.com/socket/websocket?vsn=2.0.0", headers = {}, body } = {}) {
  const all = new Headers(headers);
  if (edgeIp !== undefined) all.set("CF-Connecting-IP", edgeIp);
  return new Request(url, { method, headers: all, body });
}

const upgrade = {
  Upgrade: "websocket",
  Connection: "Upgrade",
  "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
  "Sec-WebSocket-Version": "13",
  "Sec-WebSocket-Protocol": "phoenix, base64url.bearer.phx.dG9rZW4",
  Origin: "https://chat.example.com",
};

test("a CF-Connecting-IP the visitor sent is replaced by the address the Worker has for them", () => {
  const forged = visitorRequest({ headers: { "CF-Connecting-IP": "6.6.6.6" } });
  const out = forContainer(forged, "203.0.113.7");
  assert.equal(out.headers.get("CF-Connecting-IP"), "203.0.113.7");
  assert.equal(forged.headers.get("CF-Connecting-IP"), "6.6.6.6", "the incoming request is left as it was");
});

test("with no address for the visitor, the header is absent: never the visitor's own", () => {
  const forged = visitorRequest({ headers: { "CF-Connecting-IP": "6.6.6.6" } });
  for (const clientIp of [undefined, null, ""]) {
    assert.equal(forContainer(forged, clientIp).headers.has("CF-Connecting-IP"), false, `clientIp: ${JSON.stringify(clientIp)}`);
  }
});

test("the edge's address is taken only when it is one IP address", () => {
  assert.equal(edgeClientIp(visitorRequest({ edgeIp: "203.0.113.7" })), "203.0.113.7");
  assert.equal(edgeClientIp(visitorRequest({ edgeIp: "2001:db8::7" })), "2001:db8::7");
  assert.equal(edgeClientIp(visitorRequest({ edgeIp: " 198.51.100.1 " })), "198.51.100.1");
  assert.equal(edgeClientIp(visitorRequest({ edgeIp: "::ffff:192.0.2.1" })), "::ffff:192.0.2.1");
  assert.equal(edgeClientIp(visitorRequest()), undefined);
  for (const bad of ["", "6.6.6.6, 203.0.113.7", "256.1.1.1", "1.2.3", "localhost", "2001:db8::7]@evil", "::g", "a".repeat(46)]) {
    assert.equal(edgeClientIp(visitorRequest({ edgeIp: bad })), undefined, `edge value: ${JSON.stringify(bad)}`);
  }
});

test("everything else is kept: method, URL, body, other headers and a WebSocket upgrade's headers", async () => {
  const post = forContainer(
    visitorRequest({
      method: "POST",
      url: "https://chat.example.com/api/auth/login?x=1",
      headers: { "content-type": "application/json", cookie: "a=b", "X-Forwarded-For": "6.6.6.6" },
      body: '{"username":"alice"}',
    }),
    "203.0.113.7",
  );
  assert.equal(post.method, "POST");
  assert.equal(post.url, "https://chat.example.com/api/auth/login?x=1");
  assert.equal(post.headers.get("content-type"), "application/json");
  assert.equal(post.headers.get("cookie"), "a=b");
  assert.equal(post.headers.get("x-forwarded-for"), "6.6.6.6", "Confab reads only the configured header; others pass untouched");
  assert.equal(await post.text(), '{"username":"alice"}');

  const socket = forContainer(visitorRequest({ edgeIp: "203.0.113.7", headers: upgrade }), "203.0.113.7");
  assert.equal(socket.method, "GET");
  assert.equal(socket.url, "https://chat.example.com/socket/websocket?vsn=2.0.0");
  for (const [name, value] of Object.entries(upgrade)) {
    assert.equal(socket.headers.get(name), value, name);
  }
});

// Stands in for the Durable Object namespace: getContainer(ns, name) calls ns.idFromName(name) and ns.get(id), then
// fetch(request) on the stub (node_modules/@cloudflare/containers/dist/lib/utils.js).
function namespace() {
  const seen = { names: [], requests: [] };
  return {
    seen,
    idFromName(name) {
      seen.names.push(name);
      return { name };
    },
    get(id) {
      return {
        async fetch(request) {
          seen.requests.push({ id, request });
          return new Response("from the container");
        },
      };
    },
  };
}

test("the Worker hands the container the rewritten request, upgrades included, on the one instance", async () => {
  const CHAT_SERVER = namespace();
  const env = { SECRET_KEY_BASE: "a secret", CHAT_SERVER };

  const forged = visitorRequest({ edgeIp: "203.0.113.7", headers: upgrade });
  const response = await worker.fetch(forged, env);
  assert.equal(await response.text(), "from the container");
  assert.deepEqual(CHAT_SERVER.seen.names, ["main"]);
  const [{ id, request }] = CHAT_SERVER.seen.requests;
  assert.deepEqual(id, { name: "main" });
  assert.equal(request.headers.get("CF-Connecting-IP"), "203.0.113.7");
  assert.equal(request.headers.get("Upgrade"), "websocket");
  assert.equal(request.url, forged.url);

  // No usable address from the edge: the container gets no CF-Connecting-IP at all.
  await worker.fetch(visitorRequest({ edgeIp: "6.6.6.6, 203.0.113.7" }), env);
  await worker.fetch(visitorRequest(), env);
  assert.equal(CHAT_SERVER.seen.requests.length, 3);
  for (const { request } of CHAT_SERVER.seen.requests.slice(1)) {
    assert.equal(request.headers.has("CF-Connecting-IP"), false);
  }
});

test("without the secret the Worker answers 503 itself and never reaches the container", async () => {
  const CHAT_SERVER = namespace();
  const response = await worker.fetch(visitorRequest({ edgeIp: "203.0.113.7" }), { CHAT_SERVER });
  assert.equal(response.status, 503);
  assert.match(await response.text(), /wrangler secret put SECRET_KEY_BASE/);
  assert.equal(CHAT_SERVER.seen.requests.length, 0);
});

test("a visitor cannot pick the container's port: cf-container-target-port (which Container.fetch obeys) is dropped", async () => {
  const CHAT_SERVER = namespace();
  await worker.fetch(visitorRequest({ edgeIp: "203.0.113.7", headers: { "cf-container-target-port": "9464", accept: "text/plain" } }), {
    SECRET_KEY_BASE: "a secret",
    CHAT_SERVER,
  });
  const [{ request }] = CHAT_SERVER.seen.requests;
  assert.equal(request.headers.has("cf-container-target-port"), false);
  assert.equal(request.headers.get("accept"), "text/plain");
});
