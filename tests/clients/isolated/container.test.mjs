// The published build (artifacts/publish, made by test.sh with the Dockerfile's own build stage, see
// deploy/docker-build-stage.sh) run the way the container image runs it: port from PORT, Production, no --urls.
// PORT listens on every interface, so this file runs only inside a network namespace that has nothing but loopback (test.sh's D1 step, deploy/cloudflare/local-d1.sh).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer, newUser, postMessage } from "../support/server.mjs";
import { connect, disconnectAll, reply, eventually } from "../support/phoenix.mjs";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const published = process.env.CONFAB_PUBLISHED_DLL ?? join(repo, "artifacts/publish/Confab.dll");

let server;
before(async () => {
  if (!process.env.CONFAB_LOCAL_D1_NETNS) throw new Error("run inside deploy/cloudflare/local-d1.sh: PORT listens on every interface");
  if (!existsSync(published)) throw new Error(`${published} is missing: deploy/docker-build-stage.sh artifacts/publish (test.sh does)`);
  server = await startServer({ dll: published, listenVia: "PORT", env: { ASPNETCORE_HTTP_PORTS: "8080" } });
});
after(async () => {
  disconnectAll();
  await server?.close();
});

test("the published build listens on PORT, answers /healthz, and on SIGTERM closes sockets with 1001 and exits 0", { timeout: 60_000 }, async () => {
  assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  const alice = await newUser(server, "alice");
  const socket = connect(server, { token: alice.token }, { reconnectAfterMs: () => 60_000 });
  const closes = [];
  socket.onClose((event) => closes.push(event.code));
  const channel = socket.channel("room:general", {});
  await reply(channel.join());
  const acked = await reply(channel.push("new_message", { content: "before the restart" }));

  const exitCode = await server.stop("SIGTERM");

  assert.equal(exitCode, 0);
  await eventually(() => closes.length > 0, 5000, "the socket to close");
  assert.equal(closes[0], 1001);
  await server.restart();
  const history = await fetch(`${server.url}/api/rooms/general/messages?after_seq=0`, { headers: { authorization: `Bearer ${alice.token}` } });
  assert.deepEqual((await history.json()).messages.map((m) => [m.seq, m.content]), [[acked.seq, "before the restart"]]);
  await postMessage(server, alice, "general", "after the restart");
});

test("with only ASPNETCORE_HTTP_PORTS, as the official .NET images set it, the published build listens there", { timeout: 60_000 }, async () => {
  const own = await startServer({ dll: published, listenVia: "ASPNETCORE_HTTP_PORTS" });
  try {
    assert.equal((await fetch(`${own.url}/healthz`)).status, 200);
    assert.match(own.output(), new RegExp(`Now listening on: http://\\[::\\]:${new URL(own.url).port}`));
  } finally {
    await own.close();
  }
});
