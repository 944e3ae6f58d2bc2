// Reactions, replies, edits and deletes in the web UI, between two people in headless Chromium against a real Confab
// process, live: alice at a desktop width with a mouse and a keyboard, bob at a phone width with touch. And message
// text in Markdown, with links to javascript: and raw HTML inert.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, newUser, postMessage } from "./support/server.mjs";
import { eventually } from "./support/phoenix.mjs";
import { launch, signUp, openRoom, send, screenshotPath } from "./support/browser.mjs";

let server;
let browser;
let alice;
let bob;
let host;
const dialogs = [];
const broken = []; // CSP violations, page errors and console errors, from either page

before(async () => {
  // Over a hundred messages are posted here by one user: the rate limit is tested in web_ui.test.mjs.
  server = await startServer({ env: { Confab__Messages__RateLimitCount: "1000" } });
  browser = await launch();
  alice = await signUp(browser, server, "alice");
  bob = await signUp(browser, server, "bob", { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  for (const page of [alice, bob]) {
    // Every wait and action of the pages below gives up after 5 s.
    page.setDefaultTimeout(5000);
    await page.context().exposeBinding("reportCsp", (_, text) => broken.push(`CSP: ${text}`));
    await page.context().addInitScript(() =>
      document.addEventListener("securitypolicyviolation", (e) => window.reportCsp(`${e.effectiveDirective} ${e.blockedURI} ${e.sample}`)),
    );
    page.on("pageerror", (e) => broken.push(e.message));
    page.on("console", (m) => m.type() === "error" && broken.push(m.text()));
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      dialog.dismiss();
    });
  }
  host = await newUser(server, "host");
});
after(async () => {
  await browser?.close();
  await server?.close();
});

async function createRoom(name) {
  const response = await fetch(`${server.url}/api/rooms`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${host.token}` },
    body: JSON.stringify({ name }),
    signal: AbortSignal.timeout(5000),
  });
  assert.equal(response.status, 201);
  return (await response.json()).slug;
}

/** Both open a new room, then alice says `text` and both see it (as `shown`, once rendered). */
async function inRoomWith(text, shown = text) {
  const slug = await createRoom(`Room ${Math.random().toString(36).slice(2, 8)}`);
  await openRoom(alice, slug);
  await openRoom(bob, slug);
  await send(alice, text);
  await Promise.all([messageAt(alice, shown).waitFor(), messageAt(bob, shown).waitFor()]);
  return slug;
}

/** The message whose own text (not a quote of it) contains `text`. */
const messageAt = (page, text) => page.locator(".message").filter({ has: page.locator(".content", { hasText: text }) });
const chip = (message, emoji) => message.locator(".reaction").filter({ hasText: emoji });

/** A tap on a message where nothing else is (its name and time), as a phone user would touch it to see its actions. */
const touch = (message) => message.locator(".message-meta").tap();

/** Shows the message's actions (alice points at it, bob touches it) and uses one of them. */
async function act(page, text, action) {
  const message = messageAt(page, text);
  const button = message.getByRole("button", { name: action, exact: true });
  if (page === bob) {
    await touch(message);
    await button.tap();
  } else {
    await message.hover();
    await button.click();
  }
}

test("bob reacts from his phone: alice sees the chip live with the count, highlighted for whoever reacted, and both toggle", { timeout: 60_000 }, async () => {
  await inRoomWith("react to me");
  const atBob = messageAt(bob, "react to me");
  const atAlice = messageAt(alice, "react to me");
  const react = atBob.getByRole("button", { name: "Add reaction" });

  // On a phone, a tap on the message shows its actions.
  assert.equal(await react.isVisible(), false, "the actions are hidden until the message is touched");
  await touch(atBob);
  await react.waitFor({ state: "visible" });
  await react.tap();
  const picker = atBob.getByRole("group", { name: "Choose a reaction" });
  await picker.waitFor();
  assert.deepEqual(await picker.getByRole("button").allTextContents(), ["👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "👀"]);
  await picker.getByRole("button", { name: "👍" }).tap();
  await picker.waitFor({ state: "detached" });

  await chip(atAlice, "👍").waitFor({ timeout: 2000 });
  assert.equal(await chip(atAlice, "👍").textContent(), "👍 1");
  assert.equal(await chip(atAlice, "👍").getAttribute("aria-pressed"), "false");
  assert.equal(await chip(atAlice, "👍").getAttribute("title"), "bob");
  assert.equal(await chip(atBob, "👍").getAttribute("aria-pressed"), "true");

  // alice adds hers by clicking the chip: two, highlighted for both.
  await chip(atAlice, "👍").click();
  await eventually(async () => (await chip(atBob, "👍").textContent()) === "👍 2", 2000, "bob to see two");
  assert.equal(await chip(atBob, "👍").getAttribute("title"), "bob, alice");
  await eventually(async () => (await chip(atAlice, "👍").getAttribute("aria-pressed")) === "true", 2000, "alice's chip highlighted");
  assert.equal(await chip(atBob, "👍").getAttribute("aria-pressed"), "true");

  // bob takes his back: one, alice's, highlighted only for her.
  await chip(atBob, "👍").tap();
  await eventually(async () => (await chip(atAlice, "👍").textContent()) === "👍 1", 2000, "alice to see one");
  assert.equal(await chip(atAlice, "👍").getAttribute("title"), "alice");
  assert.equal(await chip(atAlice, "👍").getAttribute("aria-pressed"), "true");
  await eventually(async () => (await chip(atBob, "👍").getAttribute("aria-pressed")) === "false", 2000, "bob's chip not highlighted");

  // alice takes hers back: the chip goes for both.
  await chip(atAlice, "👍").click();
  await chip(atBob, "👍").waitFor({ state: "detached", timeout: 2000 });
  await chip(atAlice, "👍").waitFor({ state: "detached", timeout: 2000 });
});

test("with the keyboard: a focused message shows its actions, and react, edit and save work from the keys", { timeout: 60_000 }, async () => {
  await inRoomWith("keys only");
  const message = messageAt(alice, "keys only");
  await alice.mouse.move(0, 0);
  const actions = message.getByRole("group", { name: "Message actions" });
  assert.equal(await actions.isVisible(), false);

  await message.focus();
  await actions.waitFor({ state: "visible" });
  assert.deepEqual(await actions.getByRole("button").evaluateAll((buttons) => buttons.map((b) => b.textContent.trim())), [
    "Add reaction",
    "Reply",
    "Edit",
    "Delete",
  ]);
  await alice.keyboard.press("Tab");
  assert.equal(await alice.evaluate(() => document.activeElement.textContent.trim()), "Add reaction");
  await alice.keyboard.press("Enter");
  // The picker takes focus on its first emoji.
  await eventually(() => alice.evaluate(() => document.activeElement.textContent === "👍"), 2000, "the picker's first emoji focused");
  await alice.keyboard.press("Tab");
  await alice.keyboard.press("Enter");
  await chip(messageAt(bob, "keys only"), "❤️").waitFor({ timeout: 2000 });

  // Escape closes the picker, back on its button; so does leaving the message.
  const picker = message.getByRole("group", { name: "Choose a reaction" });
  const onReactButton = () => alice.evaluate(() => document.activeElement.textContent.trim() === "Add reaction");
  await eventually(onReactButton, 2000, "focus back on the button after choosing");
  await alice.keyboard.press("Enter");
  await picker.waitFor();
  await alice.keyboard.press("Escape");
  await picker.waitFor({ state: "detached" });
  await eventually(onReactButton, 2000, "focus back on the button after Escape");
  await alice.keyboard.press("Enter");
  await picker.waitFor();
  // As a reader would, leave once the picker has taken focus (it is focused from the server, after it shows).
  await eventually(() => alice.evaluate(() => document.activeElement.textContent === "👍"), 2000, "the picker focused again");
  await alice.locator("#composer-input").focus();
  await picker.waitFor({ state: "detached" });

  // From the message: its reaction, then its actions.
  await message.focus();
  for (let i = 0; i < 4; i++) await alice.keyboard.press("Tab");
  assert.equal(await alice.evaluate(() => document.activeElement.textContent.trim()), "Edit");
  await alice.keyboard.press("Enter");
  const editor = alice.getByRole("textbox", { name: "Edit message" });
  await eventually(() => editor.evaluate((el) => document.activeElement === el && el.selectionStart === el.value.length), 2000, "the editor focused, caret at the end");
  await alice.keyboard.type(", typed");
  await alice.keyboard.press("Enter");
  await messageAt(bob, "keys only, typed").waitFor({ timeout: 2000 });
});

test("alice edits in place: Escape cancels, Enter saves, and bob sees the new text and (edited); only she may", { timeout: 60_000 }, async () => {
  await inRoomWith("first draft");
  const atBob = messageAt(bob, "first draft");

  // Someone else's message has no edit or delete.
  await touch(atBob);
  await atBob.getByRole("button", { name: "Reply" }).waitFor({ state: "visible" });
  assert.equal(await atBob.getByRole("button", { name: "Edit" }).count(), 0);
  assert.equal(await atBob.getByRole("button", { name: "Delete" }).count(), 0);

  await act(alice, "first draft", "Edit");
  const editor = alice.getByRole("textbox", { name: "Edit message" });
  assert.equal(await editor.inputValue(), "first draft");
  await editor.fill("never mind");
  await editor.press("Escape");
  await editor.waitFor({ state: "detached" });
  assert.equal(await messageAt(alice, "first draft").locator(".content").textContent(), "first draft");
  assert.equal(await messageAt(alice, "first draft").locator(".edited").count(), 0);

  await act(alice, "first draft", "Edit");
  await editor.fill("second **draft**");
  await alice.screenshot({ path: screenshotPath("events-edit-desktop") });
  await editor.press("Enter");
  await editor.waitFor({ state: "detached" });

  const edited = messageAt(bob, "second draft");
  await edited.waitFor({ timeout: 2000 });
  assert.equal(await edited.locator(".edited").textContent(), "(edited)");
  assert.equal(await edited.locator(".content strong").textContent(), "draft");
  assert.equal(await messageAt(bob, "first draft").count(), 0);
  await messageAt(alice, "second draft").locator(".edited").waitFor();
  // Nothing else was touched: bob saw neither "never mind" nor an edit before the saved one.
  assert.equal(await bob.getByText("never mind").count(), 0);
});

test("alice deletes after confirming in the page (no browser dialog): bob sees 'message deleted'", { timeout: 60_000 }, async () => {
  await inRoomWith("delete me");
  const atAlice = messageAt(alice, "delete me");

  await act(alice, "delete me", "Delete");
  const confirm = atAlice.getByRole("group", { name: "Delete this message? This can't be undone." });
  await confirm.waitFor();
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await confirm.waitFor({ state: "detached" });
  assert.equal(await messageAt(bob, "delete me").count(), 1, "cancelled: still there");

  const seq = await atAlice.getAttribute("data-seq");
  await act(alice, "delete me", "Delete");
  await confirm.waitFor();
  await alice.screenshot({ path: screenshotPath("events-delete-desktop") });
  await confirm.getByRole("button", { name: "Delete message" }).click();

  // The same message, in place, at both.
  for (const page of [bob, alice]) {
    const tombstone = page.locator(`.message[data-seq="${seq}"] .content`);
    await eventually(async () => (await tombstone.textContent()) === "message deleted", 2000, "the tombstone");
    assert.equal(await page.locator(`.message[data-seq="${seq}"]`).getByRole("button").count(), 0, "nothing left to do to it");
  }
  assert.equal(await bob.getByText("delete me").count(), 0);
  assert.deepEqual(dialogs, []);
});

test("bob replies to a message 120 back: alice sees the quote live, and clicking it loads older pages and shows the original", { timeout: 90_000 }, async () => {
  const slug = await inRoomWith("the original question");

  // bob starts a reply to it; 120 messages come before he sends (the reply bar holds what he replies to, even once the
  // original has left his page's window of the newest 100).
  await act(bob, "the original question", "Reply");
  const bar = bob.locator(".reply-bar");
  await bar.waitFor();
  assert.equal(await bar.locator(".reply-bar-text").textContent(), "Replying to alice: the original question");
  assert.equal(await bob.evaluate(() => document.activeElement.id), "composer-input");
  const writer = await newUser(server, `writer${Date.now()}`);
  for (let i = 1; i <= 120; i++) await postMessage(server, writer, slug, `filler ${i}`);
  await messageAt(bob, "filler 120").waitFor();
  await bob.screenshot({ path: screenshotPath("events-reply-phone") });

  // alice comes back to the room: only the newest pages load.
  await openRoom(alice, slug);
  await messageAt(alice, "filler 120").waitFor();
  const original = messageAt(alice, "the original question");
  assert.equal(await original.count(), 0, "the original is not loaded");

  await send(bob, "here is my answer");
  await bar.waitFor({ state: "detached" });
  const replyAtAlice = messageAt(alice, "here is my answer");
  await replyAtAlice.waitFor({ timeout: 2000 });
  const quote = replyAtAlice.locator(".reply-quote");
  assert.equal((await quote.textContent()).trim(), "alice the original question");

  await quote.click();
  await original.waitFor({ timeout: 5000 });
  const list = alice.locator(".messages");
  await eventually(async () => {
    const [box, view] = [await original.boundingBox(), await list.boundingBox()];
    return box && box.y >= view.y && box.y + box.height <= view.y + view.height;
  }, 3000, "the original in view");
  assert.match(await original.getAttribute("class"), /\bflash\b/);
  assert.equal(await original.evaluate((el) => document.activeElement === el), true, "the original has focus");

  // A reply to a message, cancelled: Escape in the composer drops it.
  await act(bob, "filler 120", "Reply");
  await bar.waitFor();
  await bob.locator("#composer-input").press("Escape");
  await bar.waitFor({ state: "detached" });

  // A reply with reactions and the actions open, at both widths.
  await act(alice, "here is my answer", "Add reaction");
  await replyAtAlice.getByRole("button", { name: "🎉" }).click();
  await chip(messageAt(bob, "here is my answer"), "🎉").waitFor({ timeout: 2000 });
  await act(alice, "here is my answer", "Add reaction");
  await replyAtAlice.getByRole("group", { name: "Choose a reaction" }).waitFor();
  await alice.screenshot({ path: screenshotPath("events-desktop") });
  // bob's own message has four actions, over its top right: touching it shows them and presses none.
  await touch(messageAt(bob, "here is my answer"));
  await messageAt(bob, "here is my answer").getByRole("button", { name: "Delete" }).waitFor({ state: "visible" });
  assert.equal(await bob.getByRole("group", { name: "Choose a reaction" }).count(), 0);
  await messageAt(bob, "here is my answer").getByRole("button", { name: "Add reaction" }).tap();
  await bob.getByRole("group", { name: "Choose a reaction" }).waitFor();
  await bob.screenshot({ path: screenshotPath("events-phone") });
});

test("Markdown renders, [x](javascript:alert(1)) links nowhere, and raw <b> shows as text", { timeout: 60_000 }, async () => {
  await inRoomWith("**bold**, `code` and [the docs](https://example.com/docs)", "bold, code and the docs");
  const rich = messageAt(bob, "bold, code and the docs");
  assert.equal(await rich.locator(".content strong").textContent(), "bold");
  assert.equal(await rich.locator(".content code").textContent(), "code");
  const link = rich.getByRole("link", { name: "the docs" });
  assert.equal(await link.getAttribute("href"), "https://example.com/docs");
  assert.equal(await link.getAttribute("rel"), "noopener noreferrer nofollow");

  await send(alice, "> quoted\n\n```\nblock <i>code</i>\n```\n~~gone~~ and https://example.org");
  const more = messageAt(bob, "quoted");
  await more.waitFor({ timeout: 2000 });
  assert.equal(await more.locator(".content blockquote p").textContent(), "quoted");
  assert.equal(await more.locator(".content pre code").textContent(), "block <i>code</i>\n");
  assert.equal(await more.locator(".content del").textContent(), "gone");
  assert.equal(await more.getByRole("link", { name: "https://example.org" }).getAttribute("rel"), "noopener noreferrer nofollow");

  await send(alice, "[x](javascript:alert(1)) and [y](JAVASCRIPT:alert(2)) and ![i](data:text/html,hi)");
  await send(alice, "raw <b>hi</b> <img src=x onerror=alert(3)>");
  const hostile = messageAt(bob, "raw <b>hi</b>");
  await hostile.waitFor({ timeout: 2000 });
  assert.equal(await hostile.locator(".content").textContent(), "raw <b>hi</b> <img src=x onerror=alert(3)>");
  assert.equal(await hostile.locator(".content b, .content img").count(), 0);
  const links = messageAt(bob, "and y and i");
  assert.equal(await links.locator(".content").textContent(), "x and y and i");
  assert.equal(await links.locator("a").count(), 0);
  for (const page of [alice, bob]) {
    const hrefs = await page.locator(".messages a").evaluateAll((anchors) => anchors.map((a) => a.getAttribute("href")));
    assert.ok(hrefs.every((href) => /^(https?:|mailto:)/.test(href)), hrefs.join(" "));
  }
  await links.locator(".content").click();
  await alice.waitForTimeout(300);
  assert.deepEqual(dialogs, []);
  await alice.screenshot({ path: screenshotPath("events-markdown-desktop") });
  await bob.screenshot({ path: screenshotPath("events-markdown-phone") });
});

test("all of the above ran under the page's Content-Security-Policy with no violation, and nothing threw", () => {
  assert.deepEqual(broken, []);
});
