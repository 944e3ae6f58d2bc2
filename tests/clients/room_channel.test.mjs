// The room channel through the official phoenix client against a real Confab process.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { Presence } from "phoenix";
import { startServer, newUser, postMessage, joinRoom, roomEvents } from "./support/server.mjs";
import { connect, disconnectAll, reply, errorReply, eventually, collect } from "./support/phoenix.mjs";

let server;
let alice;
let bob;

before(async () => {
  server = await startServer({ env: { Confab__Messages__RateLimitCount: "1000" } });
  alice = await newUser(server, "alice");
  bob = await newUser(server, "bob");
});
after(async () => server?.close());
afterEach(() => disconnectAll());

function join(user, room, params = {}, beforeJoin = () => {}) {
  const socket = connect(server, { token: user.token });
  const channel = socket.channel(`room:${room}`, params);
  const extra = beforeJoin(channel);
  return { socket, channel, extra, joined: reply(channel.join()) };
}

/** A raw upgrade request, to see the HTTP answer the client never shows. */
function upgradeStatus(path) {
  return new Promise((ok, fail) => {
    const request = httpRequest(`${server.url}${path}`, {
      headers: { connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==" },
    });
    request.on("response", (response) => ok(response.statusCode));
    request.on("upgrade", (response, socket) => {
      socket.destroy();
      ok(response.statusCode);
    });
    request.on("error", fail);
    request.end();
  });
}

test("connect with a token, join, and get the room's history oldest first", async () => {
  await postMessage(server, alice, "tech-talk", "first");
  await postMessage(server, alice, "tech-talk", "second");

  const { joined } = join(bob, "tech-talk");
  const { messages } = await joined;

  assert.deepEqual(messages.map((m) => m.content), ["first", "second"]);
  // Seq 1 is alice joining the room (member_added, as she first posted to it).
  assert.deepEqual(messages.map((m) => m.seq), [2, 3]);
  assert.equal(messages[0].user.username, "alice");
  assert.match(messages[0].inserted_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
});

test("a push gets a reply after commit and is broadcast to both clients, sender included", async () => {
  const a = join(alice, "general");
  const b = join(bob, "general");
  await Promise.all([a.joined, b.joined]);
  const seenByAlice = collect(a.channel, "new_message");
  const seenByBob = collect(b.channel, "new_message");

  const ack = await reply(a.channel.push("new_message", { content: "hello bob", client_id: "k1" }));

  assert.equal(typeof ack.message_id, "number");
  assert.equal(typeof ack.seq, "number");
  await eventually(() => seenByAlice.length === 1 && seenByBob.length === 1, 5000, "both to see the broadcast");
  for (const seen of [seenByAlice[0], seenByBob[0]]) {
    assert.equal(seen.id, ack.message_id);
    assert.equal(seen.seq, ack.seq);
    assert.equal(seen.content, "hello bob");
    assert.equal(seen.client_id, "k1");
    assert.deepEqual(seen.user, { id: alice.id, username: "alice" });
  }

  // A retry with the same client_id returns the original and broadcasts nothing new.
  const retry = await reply(a.channel.push("new_message", { content: "hello bob", client_id: "k1" }));
  assert.deepEqual(retry, ack);
  await reply(a.channel.push("new_message", { content: "marker" }));
  await eventually(() => seenByBob.length === 2, 5000, "the marker");
  assert.equal(seenByBob[1].content, "marker");
});

test("invalid content gets an error reply with the field error", async () => {
  const a = join(alice, "random");
  await a.joined;

  const blank = await errorReply(a.channel.push("new_message", { content: "   " }));
  const long = await errorReply(a.channel.push("new_message", { content: "x".repeat(2001) }));

  assert.deepEqual(blank, { errors: { content: ["content can't be blank"] } });
  assert.deepEqual(long, { errors: { content: ["content must be at most 2000 characters"] } });
});

test("a REST post reaches socket subscribers the same way", async () => {
  const b = join(bob, "random");
  await b.joined;
  const seen = collect(b.channel, "new_message");

  const posted = await postMessage(server, alice, "random", "via rest");

  await eventually(() => seen.length === 1, 5000, "the broadcast");
  assert.equal(seen[0].id, posted.id);
  assert.equal(seen[0].content, "via rest");
});

test("typing reaches the others only", async () => {
  const a = join(alice, "general");
  const b = join(bob, "general");
  await Promise.all([a.joined, b.joined]);
  const aliceSees = collect(a.channel, "user_typing");
  const bobSees = collect(b.channel, "user_typing");

  a.channel.push("typing", {});

  await eventually(() => bobSees.length === 1, 5000, "bob to see alice typing");
  assert.deepEqual(bobSees[0], { user_id: alice.id, username: "alice" });
  // Alice's own pushes after it are answered in order: by then her typing frame was handled.
  await reply(a.channel.push("new_message", { content: "after typing" }));
  assert.equal(aliceSees.length, 0);
});

test("presence: two users, and one user with two sockets is one key with two metas", async () => {
  // As an app does it: the Presence exists before the join, so it sees the state pushed right after the reply.
  const a = join(alice, "tech-talk", {}, (channel) => new Presence(channel));
  await a.joined;
  const presence = a.extra;
  const synced = [];
  presence.onSync(() => synced.push(presence.list((id, { metas }) => ({ id, count: metas.length, username: metas[0].username }))));

  const b1 = join(bob, "tech-talk");
  await b1.joined;
  await eventually(() => synced.at(-1)?.length === 2, 5000, "alice to see bob");
  const b2 = join(bob, "tech-talk");
  await b2.joined;

  const state = await eventually(() => {
    const last = synced.at(-1);
    const bobEntry = last?.find((p) => p.id === String(bob.id));
    return bobEntry?.count === 2 ? last : null;
  }, 5000, "bob's two metas");
  assert.deepEqual(
    state.sort((x, y) => x.id.localeCompare(y.id)),
    [
      { id: String(alice.id), count: 1, username: "alice" },
      { id: String(bob.id), count: 2, username: "bob" },
    ].sort((x, y) => x.id.localeCompare(y.id)),
  );
  const metas = presence.state[String(bob.id)].metas;
  assert.notEqual(metas[0].phx_ref, metas[1].phx_ref);
  assert.equal(typeof metas[0].online_at, "number");

  // One of bob's sockets leaves: still one key, one meta; then the other: the key is gone.
  b2.socket.disconnect();
  await eventually(() => synced.at(-1)?.find((p) => p.id === String(bob.id))?.count === 1, 5000, "one meta left");
  b1.channel.leave();
  await eventually(() => synced.at(-1)?.length === 1, 5000, "bob gone");
});

test("leave: the channel closes and broadcasts stop", async () => {
  const a = join(alice, "general");
  const b = join(bob, "general");
  await Promise.all([a.joined, b.joined]);
  const seen = collect(b.channel, "new_message");

  await new Promise((ok) => b.channel.leave().receive("ok", ok));
  assert.equal(b.channel.state, "closed");
  await reply(a.channel.push("new_message", { content: "after bob left" }));
  await new Promise((ok) => setTimeout(ok, 200));

  assert.equal(seen.length, 0);
});

test("joins while messages are committed: after the join reply, the live messages go on from its history, none twice, none missed", async () => {
  const sender = await newUser(server, "flooder");
  const readers = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => newUser(server, `rejoiner${i}`)));
  // Members before the flood: a first join is an event of its own (member_added), which would sit between messages.
  for (const reader of readers) await joinRoom(server, reader, "random");
  const out = join(sender, "random");
  await out.joined;
  let sending = true;
  const sent = (async () => {
    for (let n = 0; n < 400; n++) await reply(out.channel.push("new_message", { content: `m${n}` }));
    sending = false;
  })();

  // Each reader joins, listens a moment, leaves, and joins again, for as long as messages are being committed. The
  // client's leave is immediate, so broadcasts still on their way to the channel it left reach the next one while it
  // is joining (they carry no join_ref): only what arrives once it has joined is this join's.
  const sessions = [];
  await Promise.all(
    readers.map(async (user) => {
      const socket = connect(server, { token: user.token });
      let lastSeq = 0;
      for (let n = 0; sending; n++) {
        // Every other join resumes from the newest message seen, as a reconnecting client does.
        const resume = n % 2 === 1 && lastSeq > 0 ? lastSeq : null;
        const channel = socket.channel("room:random", resume ? { last_seq: resume } : {});
        const live = [];
        channel.on("new_message", (m) => channel.state === "joined" && live.push(m.seq));
        const { messages } = await reply(channel.join());
        await new Promise((ok) => setTimeout(ok, Math.random() * 20));
        await new Promise((ok) => channel.leave().receive("ok", ok));
        const session = { resume, history: messages.map((m) => m.seq), live };
        sessions.push(session);
        lastSeq = Math.max(lastSeq, ...session.history, ...live);
      }
    }),
  );
  await sent;

  assert.ok(sessions.length >= 30, `only ${sessions.length} joins`);
  // The room's messages in seq order (its other events, such as members joining, take seqs between them).
  const posted = (await roomEvents(server, sender, "random")).filter((e) => e.event === "new_message").map((e) => e.payload.seq);
  const position = new Map(posted.map((seq, i) => [seq, i]));
  for (const session of sessions) {
    const seqs = [...session.history, ...session.live];
    const what = JSON.stringify(session);
    assert.equal(new Set(seqs).size, seqs.length, `a message twice: ${what}`);
    assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), `not in seq order: ${what}`);
    if (seqs.length > 0) assert.equal(position.get(seqs.at(-1)) - position.get(seqs[0]) + 1, seqs.length, `a gap: ${what}`);
    if (session.resume && seqs.length > 0) assert.equal(seqs[0], posted.find((seq) => seq > session.resume), `not from last_seq on: ${what}`);
  }
});

test("joining an unknown room is rejected with 'room not found'", async () => {
  const socket = connect(server, { token: alice.token });
  const channel = socket.channel("room:no-such-room", {});

  const error = await errorReply(channel.join());

  assert.deepEqual(error, { reason: "room not found" });
  channel.leave();
});

test("a bad token is refused before the upgrade", async () => {
  const errors = [];
  const socket = connect(server, { token: alice.token + "x" }, { reconnectAfterMs: () => 60_000 });
  socket.onError((e) => errors.push(e));
  let opened = false;
  socket.onOpen(() => (opened = true));

  await eventually(() => errors.length > 0, 5000, "the refusal");
  assert.equal(opened, false);
  assert.equal(await upgradeStatus("/socket/websocket?token=bad&vsn=2.0.0"), 403);
  assert.equal(await upgradeStatus("/socket/websocket?vsn=2.0.0"), 403);
  assert.equal(await upgradeStatus(`/socket/websocket?token=${encodeURIComponent(alice.token)}&vsn=2.0.0`), 101);
});
