// Unread counts, mentions and read markers on every device of a user, the user channel, and deactivation, through the
// official phoenix client against a real Confab process.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { startServer, newUser, api } from "./support/server.mjs";
import { connect, disconnectAll, reply, errorReply, eventually, collect } from "./support/phoenix.mjs";

let server;
let root;
let alice;
let bob;
let carol;

before(async () => {
  server = await startServer({ env: { Confab__Admins: "root" } });
  [root, alice, bob, carol] = [await newUser(server, "root"), await newUser(server, "alice"), await newUser(server, "bob"), await newUser(server, "carol")];
});
after(async () => server?.close());
afterEach(() => disconnectAll());


/** A device of `user`: its socket, joined to the user's own channel; `seen(event)` collects what the channel gets. */
async function device(user) {
  const socket = connect(server, { token: user.token });
  const channel = socket.channel(`user:${user.id}`, {});
  const seen = {};
  for (const event of ["room_activity", "mention", "read_marker", "room_added", "room_removed", "account_deactivated"]) {
    seen[event] = collect(channel, event);
  }
  await reply(channel.join());
  return { socket, channel, seen };
}

async function listed(user, slug) {
  const { body } = await api(server, user, "GET", "/api/rooms");
  return body.find((room) => room.slug === slug);
}

test("the user channel is one's own: another user's is refused", async () => {
  const socket = connect(server, { token: alice.token });
  assert.deepEqual(await errorReply(socket.channel(`user:${bob.id}`, {}).join()), { reason: "unauthorized" });
  assert.deepEqual(await errorReply(socket.channel("user:nobody", {}).join()), { reason: "unauthorized" });
});

test("counts are the server's: a message from bob raises alice's on both devices, a mark on one clears both, GET /api/rooms agrees", async () => {
  await api(server, alice, "POST", "/api/rooms", { name: "Ops", visibility: "private" });
  const phone = await device(alice);
  const laptop = await device(alice);
  const added = await api(server, alice, "POST", "/api/rooms/ops/members", { username: "bob" });
  assert.equal(added.status, 201);

  const first = await api(server, bob, "POST", "/api/rooms/ops/messages", { content: "morning @ALICE, see the @alice-less plan" });
  assert.deepEqual(first.body.mentions, [alice.id]);
  await api(server, bob, "POST", "/api/rooms/ops/messages", { content: "no mention here, alice@example.com" });
  for (const { seen } of [phone, laptop]) {
    await eventually(() => seen.room_activity.length === 2, 5000, "room_activity on both devices");
    assert.deepEqual(seen.room_activity.map((a) => [a.room, a.unread_count, a.mention_count]), [["ops", 1, 1], ["ops", 2, 1]]);
    assert.equal(seen.mention.length, 1);
    assert.equal(seen.mention[0].room, "ops");
    assert.equal(seen.mention[0].message.id, first.body.id);
  }
  // Bob's own messages do not count for him.
  const bobs = await listed(bob, "ops");
  assert.deepEqual([bobs.unread_count, bobs.mention_count], [0, 0]);
  const before = await listed(alice, "ops");
  assert.deepEqual([before.role, before.unread_count, before.mention_count], ["owner", 2, 1]);
  const lastSeq = phone.seen.room_activity.at(-1).seq;

  // Marked read on the phone (over the room channel): the laptop hears of it.
  const room = phone.socket.channel("room:ops", {});
  await reply(room.join());
  const marked = await reply(room.push("mark_read", { seq: lastSeq }));
  assert.deepEqual(marked, { room: "ops", last_read_seq: lastSeq, unread_count: 0, mention_count: 0 });
  await eventually(() => laptop.seen.read_marker.length === 1, 5000, "read_marker on the laptop");
  assert.deepEqual(laptop.seen.read_marker[0], { room: "ops", last_read_seq: lastSeq, unread_count: 0, mention_count: 0 });
  const after = await listed(alice, "ops");
  assert.deepEqual([after.last_read_seq, after.unread_count, after.mention_count], [lastSeq, 0, 0]);

  // A marker only moves forward; over REST as well.
  const back = await api(server, alice, "PUT", "/api/rooms/ops/read", { seq: 1 });
  assert.equal(back.status, 200);
  assert.equal(back.body.last_read_seq, lastSeq);
  assert.equal((await api(server, alice, "PUT", "/api/rooms/ops/read", { seq: -1 })).status, 422);
  assert.equal((await api(server, carol, "PUT", "/api/rooms/ops/read", { seq: 1 })).status, 404);
  assert.deepEqual(await errorReply(room.push("mark_read", { seq: "soon" })), { errors: { seq: ["seq must be a positive integer"] } });

  // A deleted message no longer counts.
  const third = await api(server, bob, "POST", "/api/rooms/ops/messages", { content: "@alice one more" });
  await eventually(async () => (await listed(alice, "ops")).unread_count === 1, 5000, "the third to count");
  assert.equal((await api(server, bob, "DELETE", `/api/rooms/ops/messages/${third.body.id}`)).status, 204);
  await eventually(() => laptop.seen.room_activity.at(-1)?.unread_count === 0, 5000, "the counts to drop on the laptop");
  assert.deepEqual(laptop.seen.room_activity.at(-1), { room: "ops", seq: laptop.seen.room_activity.at(-1).seq, unread_count: 0, mention_count: 0 });
  const now = await listed(alice, "ops");
  assert.deepEqual([now.unread_count, now.mention_count], [0, 0]);
});

test("@room mentions every member when an owner or admin writes it, nobody when a member does", async () => {
  await api(server, alice, "POST", "/api/rooms", { name: "Launch", visibility: "private" });
  await api(server, alice, "POST", "/api/rooms/launch/members", { username: "bob" });
  await api(server, alice, "POST", "/api/rooms/launch/members", { username: "carol" });

  const byOwner = await api(server, alice, "POST", "/api/rooms/launch/messages", { content: "@room we ship at noon" });
  assert.deepEqual(byOwner.body.mentions, [bob.id, carol.id].sort((a, b) => a - b));
  const byMember = await api(server, bob, "POST", "/api/rooms/launch/messages", { content: "@room lunch?" });
  assert.deepEqual(byMember.body.mentions, []);
  const carols = await listed(carol, "launch");
  assert.deepEqual([carols.unread_count, carols.mention_count], [2, 1]);
});

test("room_added and room_removed tell a user's devices of the rooms they gain and lose", async () => {
  const phone = await device(carol);
  await api(server, alice, "POST", "/api/rooms", { name: "Guild", visibility: "private" });
  await api(server, alice, "POST", "/api/rooms/guild/members", { username: "carol" });
  await eventually(() => phone.seen.room_added.some((r) => r.room === "guild"), 5000, "room_added");
  assert.deepEqual(phone.seen.room_added.find((r) => r.room === "guild"), { room: "guild", name: "Guild", visibility: "private", role: "member" });

  await api(server, alice, "DELETE", "/api/rooms/guild/members/carol");
  await eventually(() => phone.seen.room_removed.some((r) => r.room === "guild"), 5000, "room_removed");

  const opened = await api(server, bob, "POST", "/api/dms", { username: "carol" });
  await eventually(() => phone.seen.room_added.some((r) => r.room === opened.body.slug), 5000, "room_added for the direct room");
});

test("a deactivated user's sockets close at once and their token, cookie and password stop working", async () => {
  const dave = await newUser(server, "dave");
  const loggedIn = await fetch(`${server.url}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "dave", password: "password-dave" }),
  });
  assert.equal(loggedIn.status, 200);
  const cookie = loggedIn.headers.get("set-cookie").split(";")[0];
  assert.equal((await fetch(`${server.url}/api/auth/me`, { headers: { cookie } })).status, 200);

  const { socket, seen } = await device(dave);
  let closed = false;
  socket.onClose(() => (closed = true));
  assert.equal((await api(server, alice, "POST", "/api/users/dave/deactivate")).status, 403);
  assert.equal((await api(server, root, "POST", "/api/users/nobody/deactivate")).status, 404);
  assert.equal((await api(server, root, "POST", "/api/users/dave/deactivate")).status, 204);

  await eventually(() => closed, 5000, "dave's socket to close");
  assert.equal(seen.account_deactivated.length, 1);
  assert.equal((await api(server, dave, "GET", "/api/rooms")).status, 401);
  assert.equal((await fetch(`${server.url}/api/auth/me`, { headers: { cookie } })).status, 401);
  const again = await fetch(`${server.url}/api/auth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "dave", password: "password-dave" }),
  });
  assert.equal(again.status, 401);
  // Reconnecting with the old token is refused before the upgrade.
  const retry = connect(server, { token: dave.token });
  let errored = false;
  retry.onError(() => (errored = true));
  await eventually(() => errored, 5000, "the reconnect to be refused");
});
