// The room channel's limits with their defaults (10 messages per 10 s, one typing notice per second),
// and the join backlog bound (set small here).
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { startServer, newUser, postMessage, joinRoom } from "./support/server.mjs";
import { connect, disconnectAll, reply, errorReply, eventually, collect } from "./support/phoenix.mjs";

let server;
before(async () => {
  server = await startServer({ env: { Confab__Realtime__JoinBacklog: "20" } });
});
after(async () => server?.close());
afterEach(() => disconnectAll());

async function joined(user, room, params = {}) {
  const socket = connect(server, { token: user.token });
  const channel = socket.channel(`room:${room}`, params);
  const response = await reply(channel.join());
  return { channel, response };
}

test("the eleventh message in ten seconds is refused with the reason and the wait", async () => {
  const frank = await newUser(server, "frank");
  const { channel } = await joined(frank, "random");
  for (let i = 0; i < 10; i++) await reply(channel.push("new_message", { content: `m${i}` }));

  const refused = await errorReply(channel.push("new_message", { content: "one too many" }));

  assert.equal(refused.reason, "Too many messages. Please slow down.");
  assert.ok(refused.retry_after_ms > 0 && refused.retry_after_ms <= 10_000, `retry_after_ms ${refused.retry_after_ms}`);
});

test("typing is forwarded at most once per second per user", async () => {
  const [gina, hank] = await Promise.all([newUser(server, "gina"), newUser(server, "hank")]);
  const g = await joined(gina, "tech-talk");
  const h = await joined(hank, "tech-talk");
  const seen = collect(h.channel, "user_typing");

  for (let i = 0; i < 5; i++) g.channel.push("typing", {});
  await reply(g.channel.push("new_message", { content: "sync" }));
  await new Promise((ok) => setTimeout(ok, 300));
  assert.equal(seen.length, 1);

  await new Promise((ok) => setTimeout(ok, 1000));
  g.channel.push("typing", {});
  await eventually(() => seen.length === 2, 3000, "the next notice after a second");
});

test("a join with last_seq gets what was missed, up to the backlog bound, then has_more", async () => {
  const writers = await Promise.all(["ivy", "jack", "kim"].map((name) => newUser(server, name)));
  const reader = await newUser(server, "liam");
  // Members first (seqs 1 to 4), so that the 25 messages are seqs 5 to 29.
  for (const user of [...writers, reader]) await joinRoom(server, user, "general");
  for (let i = 1; i <= 25; i++) await postMessage(server, writers[Math.floor((i - 1) / 9)], "general", `g${i}`);

  const recent = await joined(reader, "general", { last_seq: 22 });
  assert.deepEqual(recent.response.messages.map((m) => m.seq), [23, 24, 25, 26, 27, 28, 29]);
  assert.equal(recent.response.has_more, undefined);

  const cut = await joined(reader, "general", { last_seq: 6 });
  assert.deepEqual(cut.response.messages.map((m) => m.seq), Array.from({ length: 20 }, (_, i) => i + 7));
  assert.equal(cut.response.has_more, true);

  const bad = connect(server, { token: reader.token }).channel("room:general", { last_seq: "nine" });
  assert.deepEqual(await errorReply(bad.join()), { reason: "last_seq must be a non-negative integer" });
  bad.leave();
});
