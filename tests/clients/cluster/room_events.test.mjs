// Three Confab nodes on one PostgreSQL and one Redis, official phoenix clients spread over them in one room: every
// client receives every committed event exactly once, in seq order, whichever node committed it; and still does when
// Redis loses messages (its pub/sub connections killed, or Redis stopped and started again empty) in the middle of a
// burst of sends from clients on every node; and when a node is killed (SIGKILL) mid-burst, its clients resume on
// another node with last_seq and miss nothing. A commit whose publish was lost in a room that then falls silent arrives
// when its node's connection to Redis is back, or when its node is taken for dead: the periodic sweep is set to ten
// minutes here, so nothing below is rescued by it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { newUser, roomEvents, api } from "../support/server.mjs";
import { startCluster } from "../support/cluster.mjs";
import { connect, disconnectAll, eventually } from "../support/phoenix.mjs";

const roomEventNames = [
  "new_message", "message_updated", "message_deleted", "reaction_added", "reaction_removed",
  "member_added", "member_updated", "member_removed", "room_updated",
];

let cluster;
before(async () => {
  cluster = await startCluster(3, { env: { Confab__Messages__RateLimitCount: "100000", Confab__Cluster__ConnectedSweepInterval: "00:10:00" } });
});
after(async () => {
  disconnectAll();
  await cluster?.close();
});

/** A client on one node that records every room event it is sent, duplicates included, in the order it got them. */
async function listener(node, user, room) {
  const client = { user, node, room, received: [] };
  const joined = await join(client, node, {});
  client.from = joined.last_seq;
  return client;
}

/** Joins the client's room on `node` (again, with `{last_seq}`, after its node died): what the reply replays counts as received. */
async function join(client, node, params) {
  client.socket?.disconnect();
  client.node = node;
  client.socket = connect(node, { token: client.user.token });
  client.channel = client.socket.channel(`room:${client.room}`, params);
  for (const name of roomEventNames) client.channel.on(name, (payload) => client.received.push(payload.seq));
  // The replayed events are recorded in the reply's own callback: frames that came in the same read as the reply are
  // handled before an awaiting caller resumes, and they come after it.
  return new Promise((ok, fail) =>
    client.channel
      .join()
      .receive("ok", (joined) => {
        for (const entry of joined.events ?? []) client.received.push(entry.payload.seq);
        ok(joined);
      })
      .receive("error", (e) => fail(new Error(JSON.stringify(e)))),
  );
}

/** Sends `count` messages with client_ids, `pace` ms apart, each retried until acknowledged; resolves with their seqs. */
async function send(client, count, tag, pace = 0) {
  const seqs = [];
  for (let n = 0; n < count; n++) {
    const clientId = `${tag}-${client.user.username}-${n}`;
    for (;;) {
      const reply = await new Promise((ok) =>
        client.channel
          .push("new_message", { content: clientId, client_id: clientId }, 5000)
          .receive("ok", ok)
          .receive("error", () => ok(null))
          .receive("timeout", () => ok(null)),
      );
      if (reply) {
        seqs.push(reply.seq);
        if (pace > 0) await sleep(pace);
        break;
      }
      await sleep(50);
    }
  }
  return seqs;
}

/** Stores a message in `room` as a node would commit it, and publishes nothing, as if its publish were lost; its seq. */
function commitUnpublished(room, username) {
  return Number(
    cluster.database.sql(`
      INSERT INTO messages (room_id, user_id, seq, content, inserted_at)
      SELECT r.id, u.id,
             greatest((SELECT coalesce(max(seq), 0) FROM messages WHERE room_id = r.id),
                      (SELECT coalesce(max(seq), 0) FROM room_events WHERE room_id = r.id)) + 1,
             'never published', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      FROM rooms r, users u WHERE r.slug = '${room}' AND u.username = '${username}'
      RETURNING seq`),
  );
}

/** Every client ends with exactly the room's events after its join, in seq order, each once. */
async function assertEveryClientHasEveryEvent(clients, room, within = 20_000) {
  const events = await roomEvents(cluster.nodes[0], clients[0].user, room);
  const last = events.at(-1).payload.seq;
  assert.deepEqual(events.map((e) => e.payload.seq), Array.from({ length: last }, (_, i) => i + 1), "the room's seqs are 1..N");
  for (const client of clients) {
    const expected = Array.from({ length: last - client.from }, (_, i) => client.from + i + 1);
    await eventually(() => client.received.length >= expected.length, within, `${client.user.username}'s events up to ${last}`);
    assert.deepEqual(client.received, expected, `${client.user.username} on ${client.node.url} got each event once, in order`);
  }
  return last;
}

async function clientsIn(room, tag) {
  const users = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => newUser(cluster.nodes[i % 3], `${tag}-user${i}`)));
  // Members first (a member_added each), so that every listener's view starts after them.
  const clients = [];
  for (const [i, user] of users.entries()) clients.push(await listener(cluster.nodes[i % 3], user, room));
  const first = Math.min(...clients.map((c) => c.from));
  // Each listener joined at some seq; events after it reach it however they were committed.
  return { clients, first };
}

test("three nodes: every client gets every committed event once, in seq order, whichever node committed it", async () => {
  const { clients } = await clientsIn("general", "a");
  const acked = await Promise.all(clients.map((client) => send(client, 20, "steady")));
  assert.equal(acked.flat().length, 120);
  assert.equal(new Set(acked.flat()).size, 120, "every acknowledged seq is distinct");
  await assertEveryClientHasEveryEvent(clients, "general");
});

test("Redis's pub/sub connections killed during a burst: the nodes read what they missed from the database", async () => {
  const { clients } = await clientsIn("tech-talk", "b");
  let sent = false;
  const sending = Promise.all(clients.map((client) => send(client, 60, "killed", 20))).then(() => (sent = true));
  await sleep(500);
  const killed = Number(cluster.redis.cli("CLIENT", "KILL", "TYPE", "pubsub"));
  assert.ok(killed >= 3, `every node's subscription was killed (${killed})`);
  assert.equal(sent, false, "the subscriptions were killed in the middle of the burst");
  await sending;
  await assertEveryClientHasEveryEvent(clients, "tech-talk");
});

test("Redis stopped for 10 s and started again empty during a burst: nothing is lost, and live delivery resumes", async () => {
  const { clients } = await clientsIn("random", "c");
  let sent = false;
  const sending = Promise.all(clients.map((client) => send(client, 60, "outage", 200))).then(() => (sent = true));
  await sleep(500);
  await cluster.redis.stop();
  // Still ready (it commits and delivers; the others read its events from the database), and says what is wrong.
  const redisOf = async (node) => (await (await fetch(`${node.url}/readyz`)).json()).checks.redis.status;
  await eventually(async () => (await redisOf(cluster.nodes[1])) === "Degraded", 8_000, "node 1 to report Redis degraded");
  const ready = await fetch(`${cluster.nodes[1].url}/readyz`);
  assert.equal(ready.status, 200);
  assert.equal((await ready.json()).node, "node-1");
  await sleep(8_000);
  assert.equal(sent, false, "the clients were still sending when Redis came back");
  await cluster.redis.start();
  await sending;
  await assertEveryClientHasEveryEvent(clients, "random", 30_000);
  await eventually(async () => (await redisOf(cluster.nodes[1])) === "Healthy", 10_000, "node 1 to report Redis healthy again");
  // And live again through Redis: a message from node 0 reaches a client on node 2.
  const before = clients[2].received.length;
  await send(clients[0], 1, "after");
  await eventually(() => clients[2].received.length === before + 1, 10_000, "a message after the outage");
});

test("a commit whose publish was lost, in a room that falls silent: the others read it once its node's connection to Redis is back", async () => {
  const owner = await newUser(cluster.nodes[0], "e-owner");
  assert.equal((await api(cluster.nodes[0], owner, "POST", "/api/rooms", { name: "Quiet Corner", description: "" })).status, 201);
  const { clients } = await clientsIn("quiet-corner", "e");
  await send(clients[1], 1, "before");
  await assertEveryClientHasEveryEvent(clients, "quiet-corner");
  const lost = commitUnpublished("quiet-corner", clients[1].user.username);
  await sleep(2_000);
  assert.ok(clients.every((client) => !client.received.includes(lost)), "nobody heard of it yet");
  // Every node's command connection (the one it publishes on) dropped: back, each says its publishes may be lost.
  const killed = Number(cluster.redis.cli("CLIENT", "KILL", "TYPE", "normal"));
  assert.ok(killed >= 3, `every node's command connection was killed (${killed})`);
  assert.equal(await assertEveryClientHasEveryEvent(clients, "quiet-corner", 15_000), lost);
});

test("a node killed with SIGKILL mid-burst: its clients resume on another node with last_seq and miss nothing", async () => {
  const owner = await newUser(cluster.nodes[0], "d-owner");
  assert.equal((await api(cluster.nodes[0], owner, "POST", "/api/rooms", { name: "Night Shift", description: "" })).status, 201);
  const { clients } = await clientsIn("night-shift", "d");
  let sent = false;
  const sending = Promise.all(clients.map((client) => send(client, 150, "killed-node"))).then(() => (sent = true));
  await sleep(400);
  const victim = cluster.nodes[2];
  await victim.stop("SIGKILL");
  assert.equal(sent, false, "the node died in the middle of the burst");
  // Its clients (users 2 and 5) go to node 0 and resume from the newest event each saw; their unanswered sends are
  // retried there with the same client_id, so what the dead node committed is not stored twice.
  const orphans = clients.filter((client) => client.node === victim);
  assert.equal(orphans.length, 2);
  for (const client of orphans) {
    await join(client, cluster.nodes[0], { last_seq: Math.max(client.from, ...client.received) });
  }
  await sending;
  await assertEveryClientHasEveryEvent(clients, "night-shift", 30_000);
});

test("a node that dies between a commit and its publish: the others read the commit once they take it for dead", async () => {
  // Node 2 died above; clients on nodes 0 and 1, and node 1 dies right after a commit it never published.
  const owner = await newUser(cluster.nodes[0], "f-owner");
  assert.equal((await api(cluster.nodes[0], owner, "POST", "/api/rooms", { name: "Last Words", description: "" })).status, 201);
  const users = await Promise.all([0, 1, 2, 3].map((i) => newUser(cluster.nodes[i % 2], `f-user${i}`)));
  const clients = [];
  for (const [i, user] of users.entries()) clients.push(await listener(cluster.nodes[i % 2], user, "last-words"));
  await send(clients[1], 1, "before");
  const lost = commitUnpublished("last-words", clients[1].user.username);
  await cluster.nodes[1].stop("SIGKILL");
  const survivors = clients.filter((client) => client.node === cluster.nodes[0]);
  // Taken for dead after Confab:Cluster:NodeTimeout (15 s) without a heartbeat.
  assert.equal(await assertEveryClientHasEveryEvent(survivors, "last-words", 30_000), lost);
});
