// Three Confab nodes on one PostgreSQL and one Redis: what is not a room event still spans them. Presence lists agree
// whichever node each user is on, are rebuilt after Redis comes back empty, and lose a SIGKILLed node's users within
// 30 s; typing crosses nodes; a read marker moved on one node clears the counts a device on another sees (each node
// counting unread messages once, itself); a mute, a ban and a deactivation made on one node hold on the others. (The
// limits across nodes: limits.test.mjs.)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { Presence } from "phoenix";
import { newUser, api } from "../support/server.mjs";
import { startCluster, backOnRedis } from "../support/cluster.mjs";
import { connect, disconnectAll, reply, errorReply, eventually, collect } from "../support/phoenix.mjs";

let cluster;
let root;
before(async () => {
  cluster = await startCluster(3, { env: { Confab__Admins: "root" } });
  root = await newUser(cluster.nodes[0], "root");
});
after(async () => {
  disconnectAll();
  await cluster?.close();
});

/** `user` on `node`, joined to `room` with a phoenix Presence: `ids()` is who it lists, sorted. */
async function present(node, user, room) {
  const socket = connect(node, { token: user.token });
  const channel = socket.channel(`room:${room}`, {});
  const presence = new Presence(channel);
  await reply(channel.join());
  return { user, node, socket, channel, ids: () => presence.list((id) => Number(id)).sort((a, b) => a - b) };
}

const idsOf = (users) => users.map((u) => u.id).sort((a, b) => a - b);

async function allAgree(clients, users, within, what) {
  const expected = idsOf(users);
  for (const client of clients) {
    await eventually(() => JSON.stringify(client.ids()) === JSON.stringify(expected), within, `${client.user.username} (on ${client.node.url}) to list ${what}`);
  }
}

test("presence: every client lists everyone in the room, whichever node each is on, and sees a leave on another node", async () => {
  const users = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => newUser(cluster.nodes[i % 3], `p-user${i}`)));
  const clients = [];
  for (const [i, user] of users.entries()) clients.push(await present(cluster.nodes[i % 3], user, "general"));
  await allAgree(clients, users, 10_000, "all six");

  clients[4].socket.disconnect(); // on node 1
  await allAgree(clients.filter((c) => c !== clients[4]), users.filter((u) => u !== users[4]), 10_000, "five after a leave on node 1");
  for (const client of clients) client.socket.disconnect();
});

test("typing on one node reaches the room's clients on the others", async () => {
  const [ann, ben, cat] = await Promise.all(["t-ann", "t-ben", "t-cat"].map((name) => newUser(cluster.nodes[0], name)));
  const a = await present(cluster.nodes[0], ann, "random");
  const b = await present(cluster.nodes[1], ben, "random");
  const c = await present(cluster.nodes[2], cat, "random");
  const seen = [collect(b.channel, "user_typing"), collect(c.channel, "user_typing"), collect(a.channel, "user_typing")];
  a.channel.push("typing", {});
  await eventually(() => seen[0].length === 1 && seen[1].length === 1, 5000, "ben and cat to see ann typing");
  assert.deepEqual(seen[0][0], { user_id: ann.id, username: "t-ann" });
  assert.deepEqual(seen[1][0], { user_id: ann.id, username: "t-ann" });
  await sleep(300);
  assert.equal(seen[0].length + seen[1].length, 2, "each saw it once");
  assert.equal(seen[2].length, 0, "ann does not see herself");
});

/** A device of `user` on `node`: its user channel's notices. */
async function device(node, user) {
  const socket = connect(node, { token: user.token });
  const channel = socket.channel(`user:${user.id}`, {});
  const seen = {};
  for (const event of ["room_activity", "read_marker", "account_deactivated"]) seen[event] = collect(channel, event);
  await reply(channel.join());
  return { socket, channel, seen };
}

test("counts: each node counts a message once for its devices; a mark on one node clears a device's counts on another", async () => {
  const [alice, bob] = [await newUser(cluster.nodes[0], "r-alice"), await newUser(cluster.nodes[0], "r-bob")];
  assert.equal((await api(cluster.nodes[0], alice, "POST", "/api/rooms", { name: "Ops", visibility: "private" })).status, 201);
  assert.equal((await api(cluster.nodes[0], alice, "POST", "/api/rooms/ops/members", { username: "r-bob" })).status, 201);
  const phone = await device(cluster.nodes[0], alice);
  const laptop = await device(cluster.nodes[1], alice);
  // Bob posts on node 2.
  for (const content of ["one", "two"]) assert.equal((await api(cluster.nodes[2], bob, "POST", "/api/rooms/ops/messages", { content })).status, 201);
  for (const { seen } of [phone, laptop]) {
    await eventually(() => seen.room_activity.length >= 2, 5000, "room_activity on both devices");
  }
  await sleep(300);
  for (const { seen } of [phone, laptop]) {
    assert.deepEqual(seen.room_activity.map((a) => [a.room, a.unread_count]), [["ops", 1], ["ops", 2]], "each message counted once");
  }
  const unread = async (node) => (await api(node, alice, "GET", "/api/rooms")).body.find((r) => r.slug === "ops").unread_count;
  assert.deepEqual(await Promise.all(cluster.nodes.map(unread)), [2, 2, 2]);

  // Marked read on the phone (node 0): the laptop (node 1) hears it once, and every node's list agrees.
  const room = phone.socket.channel("room:ops", {});
  await reply(room.join());
  const lastSeq = phone.seen.room_activity.at(-1).seq;
  await reply(room.push("mark_read", { seq: lastSeq }));
  await eventually(() => laptop.seen.read_marker.length === 1, 5000, "read_marker on the laptop");
  assert.deepEqual(laptop.seen.read_marker[0], { room: "ops", last_read_seq: lastSeq, unread_count: 0, mention_count: 0 });
  await eventually(async () => (await Promise.all(cluster.nodes.map(unread))).every((n) => n === 0), 5000, "0 unread on every node");
  // The next message counts from there on every node: 1, not 3.
  assert.equal((await api(cluster.nodes[2], bob, "POST", "/api/rooms/ops/messages", { content: "three" })).status, 201);
  await eventually(() => laptop.seen.room_activity.length === 3, 5000, "the third room_activity");
  assert.equal(laptop.seen.room_activity[2].unread_count, 1);
  assert.deepEqual(await Promise.all(cluster.nodes.map(unread)), [1, 1, 1]);
  assert.equal(laptop.seen.read_marker.length, 1);
});

/** Pushes a message: "ok", or the refusal's reason. */
const attempt = (channel, content) =>
  new Promise((ok) => channel.push("new_message", { content }).receive("ok", () => ok("ok")).receive("error", (e) => ok(e.reason)).receive("timeout", () => ok("timeout")));

test("a mute and a ban made on one node hold on the others as soon as they hear of it", async () => {
  const [owner, member] = [await newUser(cluster.nodes[0], "m-owner"), await newUser(cluster.nodes[0], "m-member")];
  assert.equal((await api(cluster.nodes[0], owner, "POST", "/api/rooms", { name: "Quiet", visibility: "public" })).status, 201);
  // The member joins on node 1 (its roster there now holds them), then is muted on node 0. Node 1 hears of it over
  // Redis, a moment later: any post in that moment goes through.
  const socket = connect(cluster.nodes[1], { token: member.token });
  const channel = socket.channel("room:quiet", {});
  await reply(channel.join());
  assert.equal(await attempt(channel, "before the mute"), "ok");
  assert.equal((await api(cluster.nodes[0], owner, "POST", "/api/rooms/quiet/mutes", { username: "m-member", seconds: 600 })).status, 200);
  const muted = await eventually(async () => /muted/.test(await attempt(channel, "while muted")), 1000, "node 1 to refuse the muted member");
  assert.ok(muted);
  assert.equal((await api(cluster.nodes[2], member, "POST", "/api/rooms/quiet/messages", { content: "on node 2" })).status, 403);
  assert.equal((await api(cluster.nodes[0], owner, "DELETE", "/api/rooms/quiet/mutes/m-member")).status, 204);
  await eventually(async () => (await attempt(channel, "unmuted")) === "ok", 1000, "node 1 to take the member's posts again");

  // Banned on node 0: their channel on node 1 closes, and a join on node 2 is refused.
  let closed = false;
  channel.onClose(() => (closed = true));
  assert.equal((await api(cluster.nodes[0], owner, "POST", "/api/rooms/quiet/bans", { username: "m-member" })).status, 204);
  await eventually(() => closed, 5000, "the banned member's channel on node 1 to close");
  const elsewhere = connect(cluster.nodes[2], { token: member.token });
  await errorReply(elsewhere.channel("room:quiet", {}).join());
  assert.equal((await api(cluster.nodes[1], member, "POST", "/api/rooms/quiet/messages", { content: "banned" })).status, 404);
});

test("deactivated on one node: the user's sockets on the others close, and their token stops working there", async () => {
  const dave = await newUser(cluster.nodes[0], "x-dave");
  const devices = [await device(cluster.nodes[1], dave), await device(cluster.nodes[2], dave)];
  const closed = devices.map(() => false);
  devices.forEach((d, i) => d.socket.onClose(() => (closed[i] = true)));
  assert.equal((await api(cluster.nodes[0], root, "POST", "/api/users/x-dave/deactivate")).status, 204);
  await eventually(() => closed.every(Boolean), 5000, "dave's sockets on nodes 1 and 2 to close");
  for (const d of devices) assert.equal(d.seen.account_deactivated.length, 1);
  for (const node of cluster.nodes) assert.equal((await api(node, dave, "GET", "/api/rooms")).status, 401);
});

test("Redis stopped and started again empty: presence is rebuilt, changes made meanwhile included", async () => {
  const users = await Promise.all([0, 1, 2, 3].map((i) => newUser(cluster.nodes[i % 3], `o-user${i}`)));
  const clients = [];
  for (const [i, user] of users.slice(0, 3).entries()) clients.push(await present(cluster.nodes[i], user, "tech-talk"));
  await allAgree(clients, users.slice(0, 3), 10_000, "three");

  await cluster.redis.stop();
  // While Redis is away: a fourth user arrives on node 0, the third leaves node 2.
  clients.push(await present(cluster.nodes[0], users[3], "tech-talk"));
  clients[2].socket.disconnect();
  await sleep(3_000);
  await cluster.redis.start();
  await backOnRedis(cluster);
  const now = [users[0], users[1], users[3]];
  await allAgree([clients[0], clients[1], clients[3]], now, 20_000, "the room as it is after the outage");
  for (const client of clients) client.socket.disconnect();
});

test("a node killed with SIGKILL: its users leave every other node's lists within 30 s", async () => {
  const users = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => newUser(cluster.nodes[0], `k-user${i}`)));
  const clients = [];
  for (const [i, user] of users.entries()) clients.push(await present(cluster.nodes[i % 3], user, "general"));
  await allAgree(clients, users, 10_000, "all six");

  const victim = cluster.nodes[2];
  const started = Date.now();
  await victim.stop("SIGKILL");
  const survivors = clients.filter((c) => c.node !== victim);
  await allAgree(survivors, survivors.map((c) => c.user), 30_000, "only the users on live nodes");
  const seconds = (Date.now() - started) / 1000;
  assert.ok(seconds <= 30, `gone within 30 s (${seconds.toFixed(1)} s)`);
  console.log(`# a SIGKILLed node's users left the other nodes' lists after ${seconds.toFixed(1)} s`);
});
