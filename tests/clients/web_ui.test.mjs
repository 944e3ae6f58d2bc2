// The web UI in headless Chromium against a real Confab process: what a person sees and does.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, newUser, postMessage, roomEvents } from "./support/server.mjs";
import { connect, disconnectAll, reply, eventually, collect } from "./support/phoenix.mjs";
import { launch, signUp, openRoom, send, screenshotPath } from "./support/browser.mjs";

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  disconnectAll();
  await browser?.close();
  await server?.close();
});

const messageTexts = (page) => page.locator(".message .content").allTextContents();
const onlineNames = (page) => page.locator("[data-testid=online] .online-name").allTextContents();

test("sign up, open General, send: the message shows, and is still there after a reload", async () => {
  const page = await signUp(browser, server, "ann");
  await page.goto("/rooms");
  await page.getByRole("link", { name: /General/ }).click();
  await page.locator("#composer-input:not([disabled])").waitFor();

  await send(page, "hello from the browser\nwith a second line");

  const message = page.locator(".message").filter({ hasText: "hello from the browser" });
  await message.waitFor({ timeout: 5000 });
  assert.equal(await message.locator(".author").textContent(), "ann");
  assert.equal(await message.locator(".content").textContent(), "hello from the browser\nwith a second line");
  // On WebAssembly the message can arrive (its broadcast) a moment before the push's reply, which clears the composer.
  await eventually(async () => (await page.locator("#composer-input").inputValue()) === "", 5000, "the composer cleared");
  await page.reload();
  await page.locator(".message").filter({ hasText: "hello from the browser" }).waitFor({ timeout: 5000 });

  // Log out, then log back in through the log-in page, which returns to the room.
  await page.getByRole("button", { name: "Log out" }).click();
  await page.waitForURL("**/login");
  await page.goto("/rooms/general");
  await page.waitForURL(/\/login\?ReturnUrl=%2Frooms%2Fgeneral/);
  await page.getByLabel("Username or email").fill("ann");
  await page.getByLabel("Password").fill("wrong-password");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByText("Invalid username or password.").waitFor();
  await page.getByLabel("Username or email").fill("ann");
  await page.getByLabel("Password").fill("password-ann");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL("**/rooms/general");
  await page.locator(".message").filter({ hasText: "hello from the browser" }).waitFor({ timeout: 5000 });
  await page.context().close();
});

test("times show in the viewer's time zone", async () => {
  const tokyo = await browser.newContext({ baseURL: server.url, timezoneId: "Asia/Tokyo" });
  const page = await tokyo.newPage();
  await page.goto("/register");
  await page.getByLabel("Username").fill("hana");
  await page.getByLabel("Email").fill("hana@example.com");
  await page.getByLabel("Password").fill("password-hana");
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.waitForURL("**/rooms");
  await openRoom(page, "tech-talk");

  await send(page, "what time is it?");

  const time = page.locator(".message", { hasText: "what time is it?" }).locator("time");
  await time.waitFor({ timeout: 5000 });
  const utc = new Date(await time.getAttribute("datetime"));
  const expected = new Intl.DateTimeFormat("en-GB", { timeZone: "Asia/Tokyo", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(utc);
  await eventually(async () => (await time.textContent()).endsWith(expected), 3000, `the time to read ${expected}`);
  await tokyo.close();
});

test("two people: typing shows and fades after 3 s, messages arrive within 1 s, presence follows them", async () => {
  const alice = await signUp(browser, server, "alice");
  const bob = await signUp(browser, server, "bob", { viewport: { width: 390, height: 844 } });
  await openRoom(alice, "tech-talk");
  await openRoom(bob, "tech-talk");

  await eventually(async () => (await onlineNames(alice)).includes("bob"), 5000, "alice to see bob online");
  await eventually(async () => (await onlineNames(bob)).includes("alice"), 5000, "bob to see alice online");

  await alice.locator("#composer-input").pressSequentially("I am typ", { delay: 20 });
  const typedAt = Date.now();
  const indicator = bob.locator("[data-testid=typing]");
  await eventually(async () => (await indicator.textContent()) === "alice is typing…", 2000, "bob to see alice typing");
  await eventually(async () => (await indicator.textContent()) === "", 6000, "the indicator to fade");
  const faded = Date.now() - typedAt;
  assert.ok(faded >= 2500 && faded <= 4500, `the indicator faded after ${faded} ms`);

  await alice.locator("#composer-input").fill("");
  const sentAt = Date.now();
  await send(alice, "can you see this, bob?");
  await bob.locator(".message .content", { hasText: "can you see this, bob?" }).waitFor({ timeout: 1000 });
  assert.ok(Date.now() - sentAt <= 1000);
  await send(bob, "Loud and clear 👍\nNew lines stay new lines.");
  await alice.locator(".message .content", { hasText: "Loud and clear" }).waitFor({ timeout: 2000 });

  await alice.screenshot({ path: screenshotPath("room-desktop") });
  await bob.screenshot({ path: screenshotPath("room-phone") });

  await bob.close();
  await eventually(async () => !(await onlineNames(alice)).includes("bob"), 5000, "bob to drop off alice's list");
  assert.deepEqual(await onlineNames(alice), ["alice"]);
  await alice.context().close();
});

test("the official phoenix client and the browser see each other's messages", async () => {
  const page = await signUp(browser, server, "carol");
  await openRoom(page, "random");
  const dave = await newUser(server, "dave");
  const socket = connect(server, { token: dave.token });
  const channel = socket.channel("room:random", {});
  await reply(channel.join());
  const seenBySocket = collect(channel, "new_message");

  await reply(channel.push("new_message", { content: "from the phoenix client" }));
  await page.locator(".message .content", { hasText: "from the phoenix client" }).waitFor({ timeout: 2000 });
  await eventually(async () => (await onlineNames(page)).includes("dave"), 5000, "the socket user online in the browser");

  await send(page, "from the browser");
  await eventually(() => seenBySocket.some((m) => m.content === "from the browser" && m.user.username === "carol"), 2000, "the socket to get it");
  socket.disconnect();
  await page.context().close();
});

test("markup in messages shows as text and runs nothing", async () => {
  const page = await signUp(browser, server, "erin");
  const dialogs = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    dialog.dismiss();
  });
  await openRoom(page, "general");

  await send(page, "<img src=x onerror=alert(1)>");
  await send(page, "<script>alert(1)</script>");

  await page.locator(".message .content", { hasText: "<script>alert(1)</script>" }).waitFor({ timeout: 5000 });
  const texts = await messageTexts(page);
  assert.ok(texts.includes("<img src=x onerror=alert(1)>"));
  assert.ok(texts.includes("<script>alert(1)</script>"));
  assert.equal(await page.locator(".message .content img").count(), 0);
  assert.equal(await page.locator(".message .content script").count(), 0);
  await page.reload();
  await page.locator(".message .content", { hasText: "<img src=x onerror=alert(1)>" }).waitFor({ timeout: 5000 });
  await page.waitForTimeout(300);
  assert.deepEqual(dialogs, []);
  await page.context().close();
});

test("a too-long message and a rate-limited one show why and keep the typed text", async () => {
  const page = await signUp(browser, server, "frank");
  await openRoom(page, "random");
  const composer = page.locator("#composer-input");

  const long = "x".repeat(2001);
  await composer.fill(long);
  await composer.press("Enter");
  await page.getByRole("alert").filter({ hasText: "Content must be at most 2000 characters." }).waitFor({ timeout: 5000 });
  assert.equal(await composer.inputValue(), long);

  for (let i = 1; i <= 10; i++) {
    await send(page, `burst ${i}`);
    await page.locator(".message .content", { hasText: `burst ${i}` }).first().waitFor({ timeout: 5000 });
  }
  await composer.fill("one too many");
  await composer.press("Enter");
  const alert = page.getByRole("alert").filter({ hasText: "Too many messages. Please slow down." });
  await alert.waitFor({ timeout: 5000 });
  assert.match(await alert.textContent(), /Try again in \d+ s\./);
  assert.equal(await composer.inputValue(), "one too many");
  await page.context().close();
});

test("300 messages: scrolling up loads older pages with no duplicates or gaps", async () => {
  const writers = await Promise.all(Array.from({ length: 30 }, (_, i) => newUser(server, `writer${i}`)));
  const created = await fetch(`${server.url}/api/rooms`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${writers[0].token}` },
    body: JSON.stringify({ name: "History", description: "Three hundred messages" }),
  });
  assert.equal(created.status, 201);
  for (let i = 0; i < 300; i++) await postMessage(server, writers[Math.floor(i / 10)], "history", `message ${i + 1}`);

  const page = await signUp(browser, server, "reader");
  await openRoom(page, "history");
  const seqs = async () => (await page.locator(".message").evaluateAll((els) => els.map((e) => Number(e.dataset.seq))));
  // The room's messages by seq, as the server has them (members joining take seqs of their own between them).
  const posted = async () =>
    (await roomEvents(server, writers[0], "history")).filter((e) => e.event === "new_message").map((e) => e.payload.seq);
  const stored = await posted();
  assert.equal(stored.length, 300);
  // The newest 50 first (an older page may follow at once if they do not fill the window).
  await eventually(async () => (await seqs()).length >= 50, 5000, "the first page");
  assert.deepEqual((await seqs()).slice(-50), stored.slice(-50));
  const list = page.locator(".messages");
  // The page scrolls to the bottom after it renders (and again if an older page followed): allow it a moment.
  await eventually(() => list.evaluate((el) => Math.abs(el.scrollHeight - el.clientHeight - el.scrollTop) < 4), 2000, "the list to open at the newest");

  for (let round = 0; round < 20 && (await seqs()).length < 300; round++) {
    const before = (await seqs()).length;
    await list.evaluate((el) => el.scrollTo(0, 0));
    await eventually(async () => (await seqs()).length > before, 5000, "an older page");
  }

  const all = await seqs();
  assert.deepEqual(all, stored);
  await page.getByText("This is the beginning of #History").waitFor();

  // Scrolled up, the reader is not yanked down by a new message: a marker says there is one.
  const marker = page.getByRole("button", { name: "New messages ↓" });
  assert.equal(await marker.isVisible(), false);
  await postMessage(server, await newUser(server, "latecomer"), "history", "a new one while you read");
  await page.locator(".message .content", { hasText: "a new one while you read" }).waitFor({ state: "attached", timeout: 5000 });
  await marker.waitFor({ state: "visible", timeout: 5000 });
  assert.ok(await list.evaluate((el) => el.scrollTop < el.scrollHeight / 2), "still reading old messages");
  await marker.click();
  await eventually(() => list.evaluate((el) => Math.abs(el.scrollHeight - el.clientHeight - el.scrollTop) < 4), 3000, "the newest in view");
  await marker.waitFor({ state: "hidden" });

  // Back at the newest, the page keeps a window of the newest 50: the 301 it loaded do not stay all day.
  await eventually(async () => (await seqs()).length === 50, 5000, "the window of the newest 50");
  assert.deepEqual(await seqs(), (await posted()).slice(-50));
  await postMessage(server, await newUser(server, "onemore"), "history", "and one more");
  const now = await posted();
  await eventually(async () => (await seqs()).at(-1) === now.at(-1), 5000, "the next message");
  assert.deepEqual(await seqs(), now.slice(-50));
  // What left the window is a scroll away again.
  await list.evaluate((el) => el.scrollTo(0, 0));
  await eventually(async () => (await seqs())[0] < now.at(-50), 5000, "an older page again");
  await page.context().close();
});

test("unknown rooms are a 404 page, rooms show their empty state, and pages need a login", async () => {
  const anonymous = await browser.newContext({ baseURL: server.url });
  const visitor = await anonymous.newPage();
  await visitor.goto("/rooms");
  await visitor.waitForURL(/\/login\?ReturnUrl=%2Frooms/);
  await anonymous.close();

  const page = await signUp(browser, server, "gail");
  const response = await page.goto("/rooms/no-such-room");
  assert.equal(response.status(), 404);
  await page.getByRole("heading", { name: "Nothing here" }).waitFor();

  await page.goto("/rooms");
  await page.getByLabel("Name").fill("Quiet Corner");
  await page.getByRole("button", { name: "Create room" }).click();
  await page.waitForURL("**/rooms/quiet-corner");
  await page.getByText("No messages yet.").waitFor();
  await page.goto("/rooms");
  await page.getByLabel("Name").fill("Quiet Corner");
  await page.getByRole("button", { name: "Create room" }).click();
  await page.getByText("A room with the address 'quiet-corner' already exists.").waitFor();
  await page.screenshot({ path: screenshotPath("rooms-desktop") });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: screenshotPath("rooms-phone"), fullPage: true });
  await page.context().close();
});
