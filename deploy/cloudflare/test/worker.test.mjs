// The Worker module as wrangler bundles it, inspected in Node (test/workers-runtime-stub.mjs stands in for the
// runtime's own module). What serves D1 to the container in production is checked against a real D1 in the D1 step
// of test.sh, through the dev route; this checks the wiring that only a deployed container would otherwise exercise.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Container } from "@cloudflare/containers";
import { ChatServer } from "../src/worker.js";
import { D1_HOST, containerEnv } from "../src/container-env.js";

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
  });
  assert.equal(new URL(env.Storage__D1__BaseUrl).hostname, D1_HOST);
  assert.ok(D1_HOST in registered.call(ChatServer));
});
