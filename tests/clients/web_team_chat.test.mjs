// The team chat's web UI in headless Chromium against a real Confab process: the sidebar and its live badges, direct
// messages, the members page, mentions (highlighted, completed, notified) and the new-messages divider.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, api } from "./support/server.mjs";
import { eventually } from "./support/phoenix.mjs";
import { launch, signUp, openRoom, send, screenshotPath } from "./support/browser.mjs";

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

// The API's view of someone who signed up in the browser.
async function tokenOf(username) {
  const response = await fetch(`${server.url}/api/auth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password: `password-${username}` }),
  });
  const body = await response.json();
  return { id: body.user.id, username, token: body.token };
}

const entry = (page, slug) => page.locator(`.sidebar a[data-room="${slug}"]`);
const badges = async (page, slug) => {
  const link = entry(page, slug);
  if ((await link.count()) === 0) return null;
  const unread = link.locator("[data-testid=unread-badge]");
  const mention = link.locator("[data-testid=mention-badge]");
  return {
    unread: (await unread.count()) ? (await unread.innerText()).replace(/\D+/g, "") : "",
    mentions: (await mention.count()) ? (await mention.innerText()).replace(/\D+/g, "") : "",
    bold: (await link.getAttribute("class")).includes("unread"),
  };
};

test("the sidebar's badges follow another user's posts live; opening the room clears them and shows where the new messages begin", async () => {
  const ann = await signUp(browser, server, "ann");
  const ben = await signUp(browser, server, "ben");
  await openRoom(ann, "general");
  await openRoom(ben, "general");
  await openRoom(ben, "tech-talk");
  assert.deepEqual(await badges(ben, "general"), { unread: "", mentions: "", bold: false });

  await send(ann, "first of the news");
  await eventually(async () => (await badges(ben, "general"))?.unread === "1", 5000, "one unread in General");
  await send(ann, "and @ben, this one is for you");
  await eventually(async () => {
    const now = await badges(ben, "general");
    return now?.unread === "2" && now.mentions === "1" && now.bold;
  }, 5000, "two unread and a mention in General");
  await ben.screenshot({ path: screenshotPath("sidebar-badges") });
  // The room being read shows no badge of its own.
  assert.deepEqual(await badges(ben, "tech-talk"), { unread: "", mentions: "", bold: false });

  await entry(ben, "general").click();
  await ben.waitForURL("**/rooms/general");
  await ben.locator("#composer-input:not([disabled])").waitFor();
  // The divider sits right before the first message ben had not read.
  const divider = ben.locator("[data-testid=new-divider]");
  await divider.waitFor();
  assert.equal(await divider.evaluate((d) => d.nextElementSibling.textContent.includes("first of the news")), true);
  // The mention is highlighted, and the message that mentions ben stands out.
  const mentioning = ben.locator(".message", { hasText: "this one is for you" });
  assert.equal(await mentioning.getAttribute("class"), "message mentioned");
  assert.equal(await mentioning.locator(".mention").innerText(), "@ben");
  // Opening the room marked it read: the badges go, on this device and in the server's counts.
  await eventually(async () => (await badges(ben, "general"))?.unread === "", 5000, "General read");
  const api_ben = await tokenOf("ben");
  await eventually(async () => {
    const rooms = (await api(server, api_ben, "GET", "/api/rooms")).body;
    const general = rooms.find((room) => room.slug === "general");
    return general.unread_count === 0 && general.mention_count === 0;
  }, 5000, "the server's counts at zero");

  // @ completes members' names.
  await ben.locator("#composer-input").pressSequentially("thanks @a", { delay: 30 });
  const option = ben.locator("#mention-list [role=option]", { hasText: "@ann" });
  await option.waitFor();
  await ben.locator("#composer-input").press("Tab");
  assert.equal(await ben.locator("#composer-input").inputValue(), "thanks @ann ");
  await ben.locator("#composer-input").press("Enter");
  await ben.locator(".message", { hasText: "thanks @ann" }).waitFor();
  await ann.context().close();
  await ben.context().close();
});

test("a direct message started from the sidebar: the other person sees it appear with its unread badge, and nobody else sees it", async () => {
  const cid = await signUp(browser, server, "cid");
  const dee = await signUp(browser, server, "dee");
  await signUp(browser, server, "eve").then((page) => page.context().close());
  await openRoom(dee, "general");

  await cid.getByRole("button", { name: "New direct message" }).click();
  await cid.getByLabel("Message someone").pressSequentially("de", { delay: 30 });
  await cid.locator(".dm-result", { hasText: "dee" }).click();
  await cid.waitForURL(/\/rooms\/dm-/);
  const slug = cid.url().split("/rooms/")[1];
  await cid.locator("#composer-input:not([disabled])").waitFor();
  assert.equal(await cid.locator("#room-title").innerText(), "@dee");
  await send(cid, "a word in private");

  // Dee's sidebar gets the conversation (room_added), then its unread count.
  await eventually(async () => (await badges(dee, slug))?.unread === "1", 5000, "the conversation with one unread in dee's sidebar");
  assert.equal(await entry(dee, slug).locator(".sidebar-name").innerText(), "cid");
  await cid.screenshot({ path: screenshotPath("direct-message") });

  // The same room from the other side; a third person gets a 404.
  const apiDee = await tokenOf("dee");
  const again = await api(server, apiDee, "POST", "/api/dms", { username: "cid" });
  assert.equal(again.status, 200);
  assert.equal(again.body.slug, slug);
  const eve = await tokenOf("eve");
  assert.equal((await api(server, eve, "GET", `/api/rooms/${slug}`)).status, 404);

  // An unknown name is refused in the picker.
  await cid.getByRole("button", { name: "New direct message" }).click();
  await cid.getByLabel("Message someone").pressSequentially("nobody", { delay: 30 });
  await cid.getByText("Nobody by that name.").waitFor();
  await cid.context().close();
  await dee.context().close();
});

test("the members page: add to a private room, give a role, mute, slow mode, remove, ban and lift it; a member sees no such controls", async () => {
  const fay = await signUp(browser, server, "fay");
  const gus = await signUp(browser, server, "gus");

  await fay.goto("/rooms");
  await fay.getByLabel("Name").fill("War Room");
  await fay.getByLabel(/Private/).check();
  await fay.getByRole("button", { name: "Create room" }).click();
  await fay.waitForURL("**/rooms/war-room");
  await fay.getByRole("link", { name: "Members" }).click();
  await fay.waitForURL("**/rooms/war-room/members");

  await fay.getByLabel("Username").fill("gus");
  await fay.getByRole("button", { name: "Add", exact: true }).click();
  await fay.getByText("gus was added.").waitFor();
  // Gus's sidebar gets the room live.
  await entry(gus, "war-room").waitFor({ timeout: 5000 });

  const row = (name) => fay.locator(`.member-row[data-member="${name}"]`);
  await row("gus").getByLabel("Role of gus").selectOption("admin");
  await row("gus").getByRole("button", { name: "Set role" }).click();
  await fay.getByText("gus is now an admin.").waitFor();
  assert.equal(await row("gus").locator(".role-badge").innerText(), "admin");
  await row("gus").getByLabel("Role of gus").selectOption("member");
  await row("gus").getByRole("button", { name: "Set role" }).click();
  await fay.getByText("gus is now a member.").waitFor();

  // A member sees the list, not the controls.
  await gus.goto("/rooms/war-room/members");
  await gus.locator(".member-row").first().waitFor();
  assert.equal(await gus.getByRole("button", { name: /Remove|Ban|Mute|Set role/ }).count(), 0);
  assert.equal(await gus.getByRole("heading", { name: "Add someone" }).count(), 0);

  // Muted, gus's post is refused with the reason.
  await row("gus").getByLabel("Mute gus for").selectOption("300");
  await row("gus").getByRole("button", { name: "Mute" }).click();
  await fay.getByText("gus is muted.").waitFor();
  await openRoom(gus, "war-room");
  await send(gus, "can anyone hear me?");
  await gus.locator("#composer-error", { hasText: /muted/i }).waitFor({ timeout: 5000 });
  await row("gus").getByLabel("Mute gus for").selectOption("0");
  await row("gus").getByRole("button", { name: "Mute" }).click();
  await fay.getByText("gus may post again.").waitFor();

  // Slow mode shows beside gus's composer as soon as it is set.
  await fay.getByLabel("Each member may post").selectOption("30");
  await fay.getByRole("button", { name: "Save" }).click();
  await fay.getByText("Slow mode is on.").waitFor();
  await gus.locator("[data-testid=slow-mode]", { hasText: "one message every 30 s" }).waitFor({ timeout: 5000 });
  await fay.screenshot({ path: screenshotPath("members-page"), fullPage: true });

  // Removed: gus's open page says so and the room leaves his sidebar.
  await row("gus").getByRole("button", { name: "Remove" }).click();
  await fay.getByText("gus was removed.").waitFor();
  await gus.locator("[data-testid=ended]", { hasText: "no longer a member" }).waitFor({ timeout: 5000 });
  await eventually(async () => (await entry(gus, "war-room").count()) === 0, 5000, "the room gone from gus's sidebar");

  // Banned and lifted (the banned list holds him meanwhile).
  await fay.getByLabel("Username").fill("gus");
  await fay.getByRole("button", { name: "Add", exact: true }).click();
  await fay.getByText("gus was added.").waitFor();
  await row("gus").getByRole("button", { name: "Ban" }).click();
  await fay.getByText("gus is banned.").waitFor();
  assert.deepEqual(await fay.locator("[data-testid=banned] .member-name").allTextContents(), ["gus"]);
  await fay.getByRole("button", { name: "Lift ban on gus" }).click();
  await fay.getByText("The ban on gus is lifted.").waitFor();
  assert.equal(await fay.locator("[data-testid=banned]").count(), 0);

  // Someone who does not exist cannot be added, and the page says why.
  await fay.getByLabel("Username").fill("nobody-at-all");
  await fay.getByRole("button", { name: "Add", exact: true }).click();
  await fay.locator("[data-testid=members-error]").waitFor();
  await fay.context().close();
  await gus.context().close();
});

test("a mention while the tab is hidden brings a desktop notification; other messages do not", async () => {
  const hal = await signUp(browser, server, "hal");
  const ivy = await signUp(browser, server, "ivy", { permissions: ["notifications"] });
  await openRoom(hal, "general");
  await openRoom(ivy, "general");
  // Ivy looks elsewhere: her tab is hidden, and the notifications it shows are recorded.
  await ivy.addInitScript(() => {
    Object.defineProperty(document, "visibilityState", { get: () => "hidden" });
    Object.defineProperty(document, "hidden", { get: () => true });
    window.shown = [];
    const Real = window.Notification;
    window.Notification = class extends Real {
      constructor(title, options) {
        super(title, options);
        window.shown.push({ title, body: options?.body });
      }
    };
  });
  await ivy.goto("/rooms");
  await ivy.locator(".sidebar a[data-room=general]").waitFor();
  // Already allowed: no button asks again.
  assert.equal(await ivy.getByRole("button", { name: /desktop notifications/ }).count(), 0);
  // Ivy's sidebar is live (its first count arrives) before the mention.
  await send(hal, "nothing for ivy here");
  await eventually(async () => (await badges(ivy, "general"))?.unread === "1", 5000, "ivy's sidebar live");

  await send(hal, "@ivy can you look at the deploy?");
  await eventually(async () => (await ivy.evaluate(() => window.shown.length)) === 1, 5000, "a notification");
  assert.deepEqual(await ivy.evaluate(() => window.shown), [{ title: "hal mentioned you in #General", body: "@ivy can you look at the deploy?" }]);

  // A user who has not allowed them is offered the choice.
  assert.equal(await hal.getByRole("button", { name: "Turn on desktop notifications for mentions" }).count(), 1);
  await hal.context().close();
  await ivy.context().close();
});

test("on a phone the sidebar is a drawer", async () => {
  const joe = await signUp(browser, server, "joe", { viewport: { width: 390, height: 844 } });
  await openRoom(joe, "general");
  const sidebar = joe.locator(".sidebar");
  assert.equal(await sidebar.isVisible(), false);
  await joe.getByRole("button", { name: "Rooms and conversations" }).click();
  await sidebar.waitFor({ state: "visible" });
  await eventually(async () => (await sidebar.evaluate((nav) => getComputedStyle(nav).transform)) === "none", 3000, "the drawer open");
  await joe.screenshot({ path: screenshotPath("sidebar-phone-drawer") });
  await entry(joe, "general").click();
  await eventually(async () => !(await sidebar.isVisible()), 3000, "the drawer closed");
  await joe.context().close();
});
