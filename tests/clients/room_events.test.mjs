// Room events through the official phoenix client against a real Confab process: edits, deletes, reactions and replies,
// each replied to once committed and broadcast with the room's next seq; refusals with a reason; and a client that was
// away replaying exactly what it missed, in order, then following live.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { startServer, newUser } from "./support/server.mjs";
import { connect, disconnectAll, reply, errorReply, eventually, collect } from "./support/phoenix.mjs";

const EVENTS = ["new_message", "message_updated", "message_deleted", "reaction_added", "reaction_removed"];

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

/** Joins and records every room event the channel gets, in arrival order, as [event, payload]. */
async function joinRecording(user, room, params = {}) {
  const socket = connect(server, { token: user.token });
  const channel = socket.channel(`room:${room}`, params);
  const seen = [];
  for (const event of EVENTS) channel.on(event, (payload) => seen.push([event, payload]));
  const joined = await reply(channel.join());
  return { socket, channel, seen, joined };
}

test("alice edits, reacts, replies and deletes; bob sees every event once, in seq order, with the payloads the replies promise", async () => {
  const a = await joinRecording(alice, "general");
  const b = await joinRecording(bob, "general");
  assert.equal(typeof a.joined.last_seq, "number");

  const posted = await reply(a.channel.push("new_message", { content: "hello **world**" }));
  const edited = await reply(a.channel.push("edit_message", { message_id: posted.message_id, content: "hello, world" }));
  const thumbs = await reply(b.channel.push("add_reaction", { message_id: posted.message_id, emoji: "👍" }));
  const again = await reply(b.channel.push("add_reaction", { message_id: posted.message_id, emoji: "👍" }));
  const tada = await reply(a.channel.push("add_reaction", { message_id: posted.message_id, emoji: "🎉" }));
  const replied = await reply(b.channel.push("new_message", { content: "nice", reply_to: posted.message_id }));
  const unthumbs = await reply(b.channel.push("remove_reaction", { message_id: posted.message_id, emoji: "👍" }));
  const absent = await reply(b.channel.push("remove_reaction", { message_id: posted.message_id, emoji: "👍" }));
  const deleted = await reply(a.channel.push("delete_message", { message_id: posted.message_id }));

  const seqs = [posted.seq, edited.seq, thumbs.seq, tada.seq, replied.seq, unthumbs.seq, deleted.seq];
  assert.deepEqual(seqs, seqs.map((_, i) => posted.seq + i), "one seq each, consecutive");
  assert.deepEqual(again, {}, "adding a reaction twice is ok with no new event");
  assert.deepEqual(absent, {}, "removing what is not there is ok with no new event");

  await eventually(() => b.seen.length === 7 && a.seen.length === 7, 5000, "seven events at both");
  assert.deepEqual(b.seen, a.seen, "both see the same events");
  assert.deepEqual(b.seen.map(([event, p]) => [event, p.seq]), [
    ["new_message", posted.seq],
    ["message_updated", edited.seq],
    ["reaction_added", thumbs.seq],
    ["reaction_added", tada.seq],
    ["new_message", replied.seq],
    ["reaction_removed", unthumbs.seq],
    ["message_deleted", deleted.seq],
  ]);
  const [[, message], [, update], [, reaction], , [, answer], , [, removal]] = b.seen;
  assert.deepEqual(
    { edited_at: message.edited_at, deleted: message.deleted, reactions: message.reactions, reply_to: message.reply_to },
    { edited_at: null, deleted: false, reactions: [], reply_to: null },
  );
  assert.equal(update.message.id, posted.message_id);
  assert.equal(update.message.seq, posted.seq, "a message keeps the seq it was posted at");
  assert.equal(update.message.content, "hello, world");
  assert.match(update.message.edited_at, /^\d{4}-\d\d-\d\dT/);
  assert.deepEqual(reaction, { seq: thumbs.seq, message_id: posted.message_id, emoji: "👍", user: { id: bob.id, username: "bob" } });
  assert.deepEqual(answer.reply_to, { id: posted.message_id, seq: posted.seq, user: { id: alice.id, username: "alice" }, excerpt: "hello, world" });
  assert.deepEqual(removal, { seq: deleted.seq, message_id: posted.message_id });

  // A join now shows the tombstone, and the reply's quote of it is empty.
  const later = await joinRecording(bob, "general");
  const tombstone = later.joined.messages.find((m) => m.id === posted.message_id);
  assert.deepEqual({ content: tombstone.content, deleted: tombstone.deleted, reactions: tombstone.reactions }, { content: "", deleted: true, reactions: [] });
  assert.equal(later.joined.messages.find((m) => m.id === replied.message_id).reply_to.excerpt, "");
  assert.equal(later.joined.last_seq, deleted.seq);
});

test("each refusal is an error reply with a reason, and nothing is broadcast", async () => {
  const a = await joinRecording(alice, "general");
  const b = await joinRecording(bob, "general");
  const mine = await reply(a.channel.push("new_message", { content: "alice's" }));
  const gone = await reply(a.channel.push("new_message", { content: "soon gone" }));
  await reply(a.channel.push("delete_message", { message_id: gone.message_id }));
  const elsewhere = await joinRecording(alice, "random");
  const there = await reply(elsewhere.channel.push("new_message", { content: "in random" }));
  await eventually(() => b.seen.length === 3, 5000, "the setup's events");

  const reasons = async (push) => (await errorReply(push)).reason;
  assert.equal(await reasons(b.channel.push("edit_message", { message_id: mine.message_id, content: "bob's now" })), "not your message");
  assert.equal(await reasons(b.channel.push("delete_message", { message_id: mine.message_id })), "not your message");
  assert.equal(await reasons(a.channel.push("edit_message", { message_id: 999999, content: "x" })), "unknown message");
  assert.equal(await reasons(a.channel.push("edit_message", { message_id: there.message_id, content: "x" })), "message in another room");
  assert.equal(await reasons(a.channel.push("edit_message", { message_id: gone.message_id, content: "x" })), "deleted message");
  assert.equal(await reasons(b.channel.push("add_reaction", { message_id: gone.message_id, emoji: "👍" })), "deleted message");
  assert.equal(await reasons(b.channel.push("new_message", { content: "re", reply_to: there.message_id })), "message in another room");
  for (const emoji of ["a", "👍👍", "👍 ", "", "<b>"]) {
    assert.equal(await reasons(b.channel.push("add_reaction", { message_id: mine.message_id, emoji })), "emoji must be a single emoji", emoji);
  }
  for (const emoji of ["👍🏽", "👩‍💻", "🇫🇷", "❤️", "1️⃣"]) {
    assert.equal(typeof (await reply(b.channel.push("add_reaction", { message_id: mine.message_id, emoji }))).seq, "number", emoji);
  }
  const emptyEdit = await errorReply(a.channel.push("edit_message", { message_id: mine.message_id, content: "   " }));
  assert.deepEqual(emptyEdit.errors, { content: ["content can't be blank"] });
  const noId = await errorReply(a.channel.push("delete_message", {}));
  assert.deepEqual(noId.errors, { message_id: ["message_id is required"] });

  // 20 distinct emoji at most on one message.
  const crowded = await reply(a.channel.push("new_message", { content: "react to me" }));
  for (let i = 0; i < 20; i++) {
    await reply(a.channel.push("add_reaction", { message_id: crowded.message_id, emoji: String.fromCodePoint(0x1f600 + i) }));
  }
  assert.equal(
    await reasons(b.channel.push("add_reaction", { message_id: crowded.message_id, emoji: "🦄" })),
    "too many distinct reactions on this message (at most 20)",
  );
  assert.equal(typeof (await reply(b.channel.push("add_reaction", { message_id: crowded.message_id, emoji: "😀" }))).seq, "number");

  // Only the five good reactions, the crowded post and its 21 reactions were broadcast after the setup.
  await eventually(() => b.seen.length === 3 + 5 + 1 + 21, 5000, "the accepted events");
  await new Promise((ok) => setTimeout(ok, 200));
  assert.equal(b.seen.length, 30);
});

test("a client that was away replays exactly what it missed with last_seq, in order, then follows live", async () => {
  const a = await joinRecording(alice, "tech-talk");
  const first = await reply(a.channel.push("new_message", { content: "before the gap" }));
  const b = await joinRecording(bob, "tech-talk");
  await eventually(() => b.seen.length === 0 && b.joined.messages.length >= 1, 5000, "bob joined");
  const lastSeq = b.joined.last_seq;
  b.socket.disconnect();

  const missedPost = await reply(a.channel.push("new_message", { content: "while bob was away" }));
  const missedEdit = await reply(a.channel.push("edit_message", { message_id: first.message_id, content: "before the gap (edited)" }));
  const missedReaction = await reply(a.channel.push("add_reaction", { message_id: missedPost.message_id, emoji: "🚀" }));
  const missedDelete = await reply(a.channel.push("delete_message", { message_id: first.message_id }));

  const back = await joinRecording(bob, "tech-talk", { last_seq: lastSeq });
  assert.deepEqual(
    back.joined.events.map((e) => [e.event, e.payload.seq]),
    [
      ["new_message", missedPost.seq],
      ["message_updated", missedEdit.seq],
      ["reaction_added", missedReaction.seq],
      ["message_deleted", missedDelete.seq],
    ],
  );
  assert.deepEqual(back.joined.events[3].payload, { seq: missedDelete.seq, message_id: first.message_id });
  assert.deepEqual(back.joined.events[2].payload.user, { id: alice.id, username: "alice" });
  assert.equal(back.joined.last_seq, missedDelete.seq);
  assert.equal(back.joined.has_more, undefined);

  const live = await reply(a.channel.push("add_reaction", { message_id: missedPost.message_id, emoji: "👀" }));
  await eventually(() => back.seen.length === 1, 5000, "the live event");
  await new Promise((ok) => setTimeout(ok, 200));
  assert.deepEqual(back.seen.map(([event, p]) => [event, p.seq]), [["reaction_added", live.seq]], "live events follow, none twice");
});

test("a client that was away longer than the backlog is told there is more, and pages the rest over REST", async () => {
  const a = await joinRecording(alice, "random");
  const start = a.joined.last_seq;
  for (let i = 0; i < 8; i++) await reply(a.channel.push("new_message", { content: `m${i}` }));
  const posts = [];
  for (let i = 0; i < 3; i++) posts.push(await reply(a.channel.push("new_message", { content: `n${i}` })));
  await reply(a.channel.push("add_reaction", { message_id: posts[0].message_id, emoji: "👍" }));

  const events = await fetch(`${server.url}/api/rooms/random/events?after_seq=${start}&limit=5`, { headers: { authorization: `Bearer ${bob.token}` } });
  const page = await events.json();
  assert.equal(events.status, 200);
  assert.equal(page.has_more, true);
  assert.deepEqual(page.events.map((e) => e.payload.seq), [1, 2, 3, 4, 5].map((n) => start + n));
  const rest = await (await fetch(`${server.url}/api/rooms/random/events?after_seq=${start + 5}&limit=100`, { headers: { authorization: `Bearer ${bob.token}` } })).json();
  assert.equal(rest.has_more, false);
  assert.deepEqual(rest.events.map((e) => e.event), ["new_message", "new_message", "new_message", "new_message", "new_message", "new_message", "reaction_added"]);
});
