// Clients keep sending while the server restarts; they reconnect, rejoin with last_seq from a params
// closure, and end holding every acknowledged message exactly once, in seq order.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, newUser, roomEvents, assertNoGaps } from "./support/server.mjs";
import { connect, disconnectAll, eventually } from "./support/phoenix.mjs";

let server;
before(async () => {
  server = await startServer({ env: { Confab__Messages__RateLimitCount: "100000" } });
});
after(async () => {
  disconnectAll();
  await server?.close();
});

/** A client as an app would write it: it keeps what it saw by seq and resumes from the highest. */
function resumingClient(user) {
  const bySeq = new Map();
  const acked = new Map(); // client_id -> seq
  let lastSeq = 0;
  const remember = (m) => {
    if (!bySeq.has(m.seq)) bySeq.set(m.seq, m);
    lastSeq = Math.max(lastSeq, m.seq);
  };
  const socket = connect(server, () => ({ token: user.token }));
  const channel = socket.channel("room:general", () => (lastSeq > 0 ? { last_seq: lastSeq } : {}));
  channel.on("new_message", remember);
  let joins = 0;
  channel.join().receive("ok", ({ messages }) => {
    joins += 1;
    messages.forEach(remember);
  });
  return { user, bySeq, acked, channel, joins: () => joins };
}

test("every acknowledged message survives a restart, once, in order, at every client", async () => {
  const users = await Promise.all(["carol", "dave", "erin"].map((name) => newUser(server, name)));
  const clients = users.map(resumingClient);
  await eventually(() => clients.every((c) => c.joins() === 1), 10000, "all joined");

  let stop = false;
  const senders = clients.map(async (client, index) => {
    for (let n = 0; !stop; n++) {
      const clientId = `${client.user.username}-${n}`;
      // Retry the same client_id until acknowledged: idempotent, so never stored twice.
      for (;;) {
        const result = await new Promise((ok) =>
          client.channel
            .push("new_message", { content: clientId, client_id: clientId }, 2000)
            .receive("ok", (r) => ok(r))
            .receive("error", () => ok(null))
            .receive("timeout", () => ok(null)),
        );
        if (result) {
          client.acked.set(clientId, result.seq);
          break;
        }
        if (stop) return;
        await new Promise((ok) => setTimeout(ok, 50));
      }
      await new Promise((ok) => setTimeout(ok, 5 + index));
    }
  });

  await eventually(() => clients.every((c) => c.acked.size >= 20), 10000, "traffic before the restart");
  await server.restart();
  await eventually(() => clients.every((c) => c.joins() >= 2), 20000, "every client to rejoin");
  const ackedAtRestart = clients.map((c) => c.acked.size);
  await eventually(() => clients.every((c, i) => c.acked.size >= ackedAtRestart[i] + 20), 10000, "traffic after the restart");
  stop = true;
  await Promise.all(senders);

  const allAcked = new Map();
  for (const c of clients) for (const [clientId, seq] of c.acked) allAcked.set(clientId, seq);
  // The room's events run 1..N with no gap (the messages, and the clients joining); each client holds every message.
  const posted = (await roomEvents(server, clients[0].user, "general")).filter((e) => e.event === "new_message").map((e) => e.payload);
  await assertNoGaps(server, clients[0].user, "general", posted);
  for (const client of clients) {
    await eventually(() => client.bySeq.size >= posted.length, 10000, `${client.user.username} to catch up`);
    const seqs = [...client.bySeq.keys()].sort((x, y) => x - y);
    // Exactly the room's messages: nothing missing, nothing twice.
    assert.deepEqual(seqs, posted.map((m) => m.seq));
    const contents = seqs.map((s) => client.bySeq.get(s).content);
    assert.equal(new Set(contents).size, contents.length, "a message was stored twice");
    for (const [clientId, seq] of allAcked) {
      assert.equal(client.bySeq.get(seq)?.content, clientId, `${client.user.username} lacks ${clientId}`);
    }
  }
});
