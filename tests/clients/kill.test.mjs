// Fifty official phoenix clients send with client_ids (retrying the same client_id until acknowledged) while the
// server is killed with SIGKILL mid-burst and started again. Afterwards every acknowledged message is stored exactly
// once, and every client, resuming with last_seq, holds the complete history in seq order.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { startServer, newUser, assertNoGaps } from "./support/server.mjs";
import { connect, disconnectAll, eventually } from "./support/phoenix.mjs";

const CLIENTS = 50;
let server;
before(async () => {
  server = await startServer({ env: { Confab__Messages__RateLimitCount: "100000" } });
});
after(async () => {
  disconnectAll();
  await server?.close();
});

function resumingClient(user) {
  const bySeq = new Map();
  const acked = new Map(); // client_id -> seq
  let lastSeq = 0;
  let joins = 0;
  const remember = (m) => {
    if (!bySeq.has(m.seq)) bySeq.set(m.seq, m);
    lastSeq = Math.max(lastSeq, m.seq);
  };
  const socket = connect(server, () => ({ token: user.token }), { reconnectAfterMs: () => 200, rejoinAfterMs: () => 200 });
  const channel = socket.channel("room:general", () => (lastSeq > 0 ? { last_seq: lastSeq } : {}));
  channel.on("new_message", remember);
  channel.join().receive("ok", ({ messages, has_more }) => {
    assert.ok(!has_more, "a rejoin's backlog was cut");
    joins += 1;
    messages.forEach(remember);
  });
  return { user, bySeq, acked, channel, joins: () => joins };
}

async function sendUntilStopped(client, index, stopped) {
  for (let n = 0; !stopped(); n++) {
    const clientId = `${client.user.username}-${n}`;
    for (;;) {
      const result = await new Promise((ok) =>
        client.channel
          .push("new_message", { content: clientId, client_id: clientId }, 3000)
          .receive("ok", ok)
          .receive("error", () => ok(null))
          .receive("timeout", () => ok(null)),
      );
      if (result) {
        client.acked.set(clientId, result.seq);
        break;
      }
      if (stopped()) return; // the test is over (or failed): an unacknowledged send is not counted
      await sleep(100); // the server is down or restarting: the same client_id again, so never stored twice
    }
    await sleep(60 + (index % 7) * 15);
  }
}

test("kill -9 mid-burst from 50 clients: every acknowledged message once, every client complete and in order", async () => {
  const users = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => newUser(server, `killer${i}`)));
  const clients = users.map(resumingClient);
  await eventually(() => clients.every((c) => c.joins() === 1), 20000, "all joined");

  let stop = false;
  const senders = clients.map((client, index) => sendUntilStopped(client, index, () => stop));
  const total = () => clients.reduce((sum, c) => sum + c.acked.size, 0);

  try {
    await eventually(() => total() >= 400, 20000, "a burst before the kill");
    await server.stop("SIGKILL");
    const ackedAtKill = total();
    await server.start();
    await eventually(() => clients.every((c) => c.joins() >= 2), 30000, "every client to rejoin");
    await eventually(() => total() >= ackedAtKill + 400, 30000, "traffic after the restart");
  } finally {
    // Whatever happened, the senders stop: a failure above must end the test, not leave them retrying for ever.
    stop = true;
    await Promise.all(senders);
  }

  // The server's history, read over REST: the room's events exactly 1..N (the messages, and the clients joining between
  // them), each client_id once.
  const reader = await newUser(server, "reader");
  const stored = [];
  for (let afterSeq = 0; ; ) {
    const page = await (
      await fetch(`${server.url}/api/rooms/general/messages?after_seq=${afterSeq}&limit=100`, { headers: { authorization: `Bearer ${reader.token}` } })
    ).json();
    stored.push(...page.messages);
    if (page.messages.length) afterSeq = page.messages.at(-1).seq;
    if (!page.has_more) break;
  }
  await assertNoGaps(server, reader, "general", stored);
  const storedIds = stored.map((m) => m.client_id);
  assert.equal(new Set(storedIds).size, storedIds.length, "a client_id was stored twice");
  const bySeq = new Map(stored.map((m) => [m.seq, m.client_id]));
  for (const client of clients) {
    for (const [clientId, seq] of client.acked) assert.equal(bySeq.get(seq), clientId, `acknowledged ${clientId} is not at seq ${seq}`);
  }

  for (const client of clients) {
    await eventually(() => client.bySeq.size >= stored.length, 15000, `${client.user.username} to catch up`);
    const seqs = [...client.bySeq.keys()].sort((x, y) => x - y);
    assert.deepEqual(seqs, stored.map((m) => m.seq), `${client.user.username} has gaps or extras`);
    for (const m of stored) assert.equal(client.bySeq.get(m.seq).client_id, m.client_id);
  }
});
