// Three Confab nodes on one PostgreSQL and one Redis: the per-user message rate limit, slow mode and the log-in
// attempts per username count on every node (in Redis), and while Redis is away each node counts alone (logged, and
// counted in confab.cluster.limits), until it is back.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { newUser, api } from "../support/server.mjs";
import { startCluster, backOnRedis } from "../support/cluster.mjs";
import { connect, disconnectAll, reply, errorReply, eventually } from "../support/phoenix.mjs";

let cluster;
before(async () => {
  cluster = await startCluster(3);
});
after(async () => {
  disconnectAll();
  await cluster?.close();
});

const post = (node, user, room, content) => api(node, user, "POST", `/api/rooms/${room}/messages`, { content });

test("the message rate limit counts a user's messages on every node", async () => {
  const eve = await newUser(cluster.nodes[0], "l-eve");
  // Ten in ten seconds (the default), spread over the three nodes.
  for (let i = 0; i < 10; i++) assert.equal((await post(cluster.nodes[i % 3], eve, "general", `burst ${i}`)).status, 201);
  for (const node of cluster.nodes) {
    const refused = await post(node, eve, "general", "the eleventh");
    assert.equal(refused.status, 429, `refused on ${node.url}`);
    assert.ok(Number(refused.headers.get("retry-after")) >= 1);
  }
  const socket = connect(cluster.nodes[1], { token: eve.token });
  const channel = socket.channel("room:general", {});
  await reply(channel.join());
  assert.match((await errorReply(channel.push("new_message", { content: "over the socket" }))).reason, /slow down/i);
  socket.disconnect();
});

test("slow mode holds across nodes: one message per period, whichever node it goes to", async () => {
  const [owner, member] = [await newUser(cluster.nodes[0], "s-owner"), await newUser(cluster.nodes[0], "s-member")];
  assert.equal((await api(cluster.nodes[0], owner, "POST", "/api/rooms", { name: "Slow", visibility: "public" })).status, 201);
  assert.equal((await api(cluster.nodes[0], owner, "PATCH", "/api/rooms/slow", { slow_mode_seconds: 60 })).status, 200);
  assert.equal((await post(cluster.nodes[1], member, "slow", "first")).status, 201);
  for (const node of cluster.nodes) {
    const refused = await post(node, member, "slow", "again");
    assert.equal(refused.status, 429, `held back on ${node.url}`);
    assert.ok(Number(refused.headers.get("retry-after")) > 50, "about a minute to wait");
  }
  assert.equal((await post(cluster.nodes[2], owner, "slow", "owners are exempt")).status, 201);
});

test("log-in attempts naming one username count on every node", async () => {
  await newUser(cluster.nodes[0], "g-target"); // two attempts naming it: the registration and the token
  const logIn = (node, password) =>
    fetch(`${node.url}/api/auth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "g-target", password }),
    });
  // Ten attempts per username in five minutes (the default): eight more, guessed on all three nodes.
  for (let i = 0; i < 8; i++) assert.equal((await logIn(cluster.nodes[i % 3], `guess-${i}`)).status, 401);
  for (const node of cluster.nodes) assert.equal((await logIn(node, "password-g-target")).status, 429, `refused on ${node.url}`);
});

test("while Redis is away each node counts alone, and says so in its metrics; back, the cluster counts again", async () => {
  const [fay, gil] = [await newUser(cluster.nodes[0], "f-fay"), await newUser(cluster.nodes[0], "f-gil")];
  await cluster.redis.stop();
  try {
    for (let i = 0; i < 10; i++) assert.equal((await post(cluster.nodes[0], fay, "random", `alone ${i}`)).status, 201);
    const refused = await post(cluster.nodes[0], fay, "random", "one too many here");
    assert.equal(refused.status, 429, `node 0 counts its own: ${JSON.stringify(refused.body)}`);
    assert.equal((await post(cluster.nodes[1], fay, "random", "node 1 saw none")).status, 201, "node 1 counts alone");
    const metrics = await (await fetch(`${cluster.nodes[0].url}/metrics`)).text();
    assert.match(metrics, /confab_cluster_limits_total\{[^}]*outcome="per_node"[^}]*\} [1-9]/);
  } finally {
    await cluster.redis.start();
  }
  await backOnRedis(cluster);
  for (let i = 0; i < 10; i++) assert.equal((await post(cluster.nodes[2 - (i % 2)], gil, "random", `shared ${i}`)).status, 201);
  assert.equal((await post(cluster.nodes[0], gil, "random", "the eleventh, counted by all")).status, 429);
  const metrics = await (await fetch(`${cluster.nodes[1].url}/metrics`)).text();
  assert.match(metrics, /confab_cluster_limits_total\{[^}]*outcome="shared"[^}]*\} [1-9]/);
});
