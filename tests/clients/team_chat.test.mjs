// Private rooms, direct messages and membership, through the official phoenix client against a real Confab process.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { startServer, newUser, api } from "./support/server.mjs";
import { connect, disconnectAll, reply, errorReply, eventually, collect } from "./support/phoenix.mjs";
import { launch, signUp, openRoom, screenshotPath } from "./support/browser.mjs";

let server;
let browser;
let alice;
let bob;
let carol;

before(async () => {
  // CONFAB_ROOM_RENDER_MODE (test.sh runs this file on both sides) decides where the room page runs.
  server = await startServer();
  browser = await launch();
  [alice, bob, carol] = [await newUser(server, "alice"), await newUser(server, "bob"), await newUser(server, "carol")];
});
after(async () => {
  await browser?.close();
  await server?.close();
});
afterEach(() => disconnectAll());


function channelOf(user, topic, params = {}) {
  const socket = connect(server, { token: user.token });
  return socket.channel(topic, params);
}

async function slugsOf(user) {
  const { body } = await api(server, user, "GET", "/api/rooms");
  return body.map((room) => room.slug);
}

test("a private room does not exist for a non-member until they are added; removed, their channel closes and stays closed", async () => {
  const created = await api(server, alice, "POST", "/api/rooms", { name: "Hideout", visibility: "private" });
  assert.equal(created.status, 201);
  assert.equal(created.body.visibility, "private");
  assert.equal(created.body.role, "owner");
  await api(server, alice, "POST", "/api/rooms/hideout/messages", { content: "for members only" });

  // To bob it is no room at all: every route 404, not listed, and a join refused like an unknown room's.
  for (const path of ["/api/rooms/hideout", "/api/rooms/hideout/messages", "/api/rooms/hideout/events?after_seq=0", "/api/rooms/hideout/members"]) {
    assert.equal((await api(server, bob, "GET", path)).status, 404, path);
  }
  assert.equal((await api(server, bob, "POST", "/api/rooms/hideout/messages", { content: "let me in" })).status, 404);
  assert.equal((await api(server, bob, "POST", "/api/rooms/hideout/members", { username: "bob" })).status, 404);
  assert.ok(!(await slugsOf(bob)).includes("hideout"));
  const unknown = await errorReply(channelOf(bob, "room:no-such-room").join());
  const refused = await errorReply(channelOf(bob, "room:hideout").join());
  assert.deepEqual(refused, unknown);
  assert.deepEqual(refused, { reason: "room not found" });

  // Added, he sees it, its history and its live messages.
  const added = await api(server, alice, "POST", "/api/rooms/hideout/members", { username: "bob" });
  assert.equal(added.status, 201);
  assert.equal(added.body.role, "member");
  assert.ok((await slugsOf(bob)).includes("hideout"));
  assert.equal((await api(server, bob, "GET", "/api/rooms/hideout")).body.role, "member");
  const bobs = channelOf(bob, "room:hideout");
  const joined = await reply(bobs.join());
  assert.deepEqual(joined.messages.map((m) => m.content), ["for members only"]);

  const alices = channelOf(alice, "room:hideout");
  await reply(alices.join());
  const removedSeen = collect(alices, "member_removed");
  const removedToBob = collect(bobs, "member_removed");
  let closed = false;
  bobs.onClose(() => (closed = true));

  const removed = await api(server, alice, "DELETE", "/api/rooms/hideout/members/bob");
  assert.equal(removed.status, 204);
  await eventually(() => closed, 5000, "bob's channel to close");
  assert.equal(removedToBob.length, 1);
  assert.equal(removedToBob[0].user.username, "bob");
  await eventually(() => removedSeen.length === 1, 5000, "alice to see member_removed");
  assert.equal(typeof removedSeen[0].seq, "number");
  assert.equal(removedSeen[0].role, undefined);

  assert.deepEqual(await errorReply(channelOf(bob, "room:hideout").join()), { reason: "room not found" });
  assert.equal((await api(server, bob, "GET", "/api/rooms/hideout/messages")).status, 404);
});

test("an addition is a member_added event in the room's sequence", async () => {
  await api(server, alice, "POST", "/api/rooms", { name: "Side Project", visibility: "private" });
  const channel = channelOf(alice, "room:side-project");
  const { last_seq: before } = await reply(channel.join());
  const added = collect(channel, "member_added");

  await api(server, alice, "POST", "/api/rooms/side-project/members", { username: "carol", role: "admin" });

  await eventually(() => added.length === 1, 5000, "member_added");
  assert.deepEqual(added[0], { seq: before + 1, user: { id: carol.id, username: "carol" }, role: "admin" });
});

test("a direct room: the same room from either side, and nobody else can see, join, post to or be added to it", async () => {
  const opened = await api(server, alice, "POST", "/api/dms", { username: "bob" });
  assert.equal(opened.status, 201);
  assert.equal(opened.body.visibility, "direct");
  assert.deepEqual(opened.body.direct_with, { id: bob.id, username: "bob" });
  const again = await api(server, bob, "POST", "/api/dms", { username: "ALICE" });
  assert.equal(again.status, 200);
  assert.equal(again.body.slug, opened.body.slug);
  assert.deepEqual(again.body.direct_with, { id: alice.id, username: "alice" });
  assert.equal((await api(server, alice, "POST", "/api/dms", { username: "bob" })).body.slug, opened.body.slug);
  assert.equal((await api(server, alice, "POST", "/api/dms", { username: "alice" })).status, 422);
  assert.equal((await api(server, alice, "POST", "/api/dms", { username: "nobody" })).status, 404);

  const slug = opened.body.slug;
  assert.ok((await slugsOf(alice)).includes(slug));
  assert.ok((await slugsOf(bob)).includes(slug));

  // Both talk over it live.
  const bobs = channelOf(bob, `room:${slug}`);
  await reply(bobs.join());
  const heard = collect(bobs, "new_message");
  const alices = channelOf(alice, `room:${slug}`);
  await reply(alices.join());
  await reply(alices.push("new_message", { content: "just us" }));
  await eventually(() => heard.length === 1, 5000, "bob to hear alice");

  assert.ok(!(await slugsOf(carol)).includes(slug));
  assert.equal((await api(server, carol, "GET", `/api/rooms/${slug}`)).status, 404);
  assert.equal((await api(server, carol, "POST", `/api/rooms/${slug}/messages`, { content: "hi" })).status, 404);
  assert.deepEqual(await errorReply(channelOf(carol, `room:${slug}`).join()), { reason: "room not found" });
  assert.equal((await api(server, alice, "POST", `/api/rooms/${slug}/members`, { username: "carol" })).status, 422);
  assert.equal((await api(server, alice, "DELETE", `/api/rooms/${slug}/members/bob`)).status, 422);
});

test("joining a public room's channel makes one a member; a ban closes the channel and refuses the next join", async () => {
  await api(server, alice, "POST", "/api/rooms", { name: "Town Square" });
  assert.equal((await api(server, carol, "GET", "/api/rooms/town-square")).body.role, null);

  const carols = channelOf(carol, "room:town-square");
  await reply(carols.join());
  assert.equal((await api(server, carol, "GET", "/api/rooms/town-square")).body.role, "member");
  let closed = false;
  carols.onClose(() => (closed = true));

  assert.equal((await api(server, alice, "POST", "/api/rooms/town-square/bans", { username: "carol" })).status, 204);
  await eventually(() => closed, 5000, "carol's channel to close");
  assert.deepEqual(await errorReply(channelOf(carol, "room:town-square").join()), { reason: "room not found" });
  assert.equal((await api(server, carol, "GET", "/api/rooms/town-square")).status, 404);
});

test("in the browser: a private room is a 404 page to others; a member removed while reading is told so and can send nothing", async () => {
  await api(server, alice, "POST", "/api/rooms", { name: "War Room", visibility: "private" });
  await api(server, alice, "POST", "/api/rooms/war-room/messages", { content: "the plan" });
  const page = await signUp(browser, server, "mallory");
  const refused = await page.goto("/rooms/war-room");
  assert.equal(refused.status(), 404);

  assert.equal((await api(server, alice, "POST", "/api/rooms/war-room/members", { username: "mallory" })).status, 201);
  await openRoom(page, "war-room");
  await page.locator(".message .content", { hasText: "the plan" }).waitFor({ timeout: 5000 });
  await page.locator("#composer-input:not([disabled])").waitFor({ timeout: 10000 });

  assert.equal((await api(server, alice, "DELETE", "/api/rooms/war-room/members/mallory")).status, 204);
  await page.getByTestId("ended").waitFor({ timeout: 5000 });
  assert.match(await page.getByTestId("ended").textContent(), /no longer a member/);
  assert.ok(await page.locator("#composer-input").isDisabled());
  await api(server, alice, "POST", "/api/rooms/war-room/messages", { content: "after mallory left" });
  await new Promise((ok) => setTimeout(ok, 500));
  assert.deepEqual(await page.locator(".message .content").allTextContents(), ["the plan"]);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: screenshotPath("room-removed-phone") });
  assert.equal((await page.goto("/rooms/war-room")).status(), 404);
  await page.context().close();
});
