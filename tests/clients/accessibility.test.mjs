// axe-core's WCAG 2.0/2.1 A and AA rules over every page, at a desktop and a phone width, in headless Chromium
// against a real Confab process: the log-in and sign-up pages (also showing their errors), the rooms list, and a room
// once it is live, with a message from someone else, a reply to it with reactions and its actions and emoji picker open,
// someone else online, then while editing a message and replying. Any violation fails, listed by rule.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, newUser, postMessage } from "./support/server.mjs";
import { connect, disconnectAll, reply, eventually } from "./support/phoenix.mjs";
import { launch, signUp, openRoom, send, screenshotPath } from "./support/browser.mjs";
import { assertNoViolations } from "./support/axe.mjs";

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launch();
  // Someone else in General: a message from them, a reply in Markdown with reactions, and they stay online (joined over
  // a socket) while the pages are checked.
  const olga = await newUser(server, "olga");
  const hello = await postMessage(server, olga, "general", "Hello from olga 👋");
  const answer = await postMessage(server, olga, "general", "And **welcome**, see [the docs](https://example.com) or `/help`", { replyTo: hello.id });
  for (const emoji of ["👍", "🎉"]) {
    const reacted = await fetch(`${server.url}/api/rooms/general/messages/${answer.id}/reactions/${encodeURIComponent(emoji)}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${olga.token}` },
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(reacted.status, 204);
  }
  await reply(connect(server, { token: olga.token }).channel("room:general", {}).join());
});
after(async () => {
  disconnectAll();
  await browser?.close();
  await server?.close();
});

/** Checks every page of a test before failing, so that one run lists all that is wrong. */
function checker() {
  const failures = [];
  return {
    check: (page, label) => assertNoViolations(page, label).catch((error) => failures.push(error.message)),
    done: () => failures.length === 0 || assert.fail(failures.join("\n\n")),
  };
}

const widths = [
  { name: "desktop", viewport: { width: 1280, height: 800 } },
  { name: "phone", viewport: { width: 390, height: 844 } },
];

for (const { name, viewport } of widths) {
  test(`log-in and sign-up pages at ${name} width (${viewport.width}x${viewport.height}) have no WCAG A/AA violations`, async () => {
    const { check, done } = checker();
    const context = await browser.newContext({ baseURL: server.url, viewport });
    const page = await context.newPage();

    await page.goto("/login", { timeout: 10_000 });
    await page.getByRole("heading", { name: "Welcome back" }).waitFor({ timeout: 5000 });
    await page.screenshot({ path: screenshotPath(`a11y-login-${name}`), fullPage: true });
    await check(page, `login (${name})`);

    await page.getByLabel("Username or email").fill("nobody", { timeout: 5000 });
    await page.getByLabel("Password").fill("wrong-password", { timeout: 5000 });
    await page.getByRole("button", { name: "Log in" }).click({ timeout: 5000 });
    await page.getByText("Invalid username or password.").waitFor({ timeout: 5000 });
    await check(page, `login with an error (${name})`);

    await page.goto("/register", { timeout: 10_000 });
    await page.getByRole("heading", { name: "Create your account" }).waitFor({ timeout: 5000 });
    await page.screenshot({ path: screenshotPath(`a11y-register-${name}`), fullPage: true });
    await check(page, `register (${name})`);

    await page.getByLabel("Username").fill("x", { timeout: 5000 });
    await page.getByLabel("Email").fill("x@example.com", { timeout: 5000 });
    await page.getByLabel("Password").fill("short", { timeout: 5000 });
    await page.getByRole("button", { name: "Sign up" }).click({ timeout: 5000 });
    await page.locator(".field-error").first().waitFor({ timeout: 5000 });
    await page.screenshot({ path: screenshotPath(`a11y-register-errors-${name}`), fullPage: true });
    await check(page, `register with field errors (${name})`);
    await context.close();
    done();
  });

  test(`rooms list and a live room at ${name} width (${viewport.width}x${viewport.height}) have no WCAG A/AA violations`, async () => {
    const { check, done } = checker();
    const page = await signUp(browser, server, `reader-${name}`, { viewport });

    await page.goto("/rooms", { timeout: 10_000 });
    await page.getByRole("heading", { name: "Your rooms" }).waitFor({ timeout: 5000 });
    await page.screenshot({ path: screenshotPath(`a11y-rooms-${name}`), fullPage: true });
    await check(page, `rooms (${name})`);

    await openRoom(page, "general");
    await page.locator(".message .content", { hasText: "Hello from olga" }).waitFor({ timeout: 5000 });
    const online = page.locator("[data-testid=online] .online-name");
    await eventually(async () => {
      const names = await online.allTextContents();
      return names.includes("olga") && names.includes(`reader-${name}`);
    }, 5000, "olga and the reader online");
    // olga's reply, its reactions (one of them the reader's too), and its actions with the emoji picker open.
    const answer = page.locator(".message").filter({ has: page.locator(".reply-quote") }).filter({ hasText: "welcome" });
    await answer.locator(".reaction", { hasText: "👍" }).click({ timeout: 5000 });
    await answer.locator(".reaction[aria-pressed=true]").waitFor({ timeout: 5000 });
    await answer.focus({ timeout: 5000 });
    await answer.getByRole("button", { name: "Add reaction" }).click({ timeout: 5000 });
    await answer.getByRole("group", { name: "Choose a reaction" }).waitFor({ timeout: 5000 });
    await page.screenshot({ path: screenshotPath(`a11y-room-${name}`) });
    await check(page, `room with a reply, reactions and a message's actions open (${name})`);

    // The reader's own message, being edited, while replying to olga's.
    await send(page, `mine at ${name} width`);
    const mine = page.locator(".message").filter({ hasText: `mine at ${name} width` });
    await mine.focus({ timeout: 5000 });
    await mine.getByRole("button", { name: "Edit" }).click({ timeout: 5000 });
    await page.getByRole("textbox", { name: "Edit message" }).waitFor({ timeout: 5000 });
    // The editor opens with focus (a moment after it shows: the page moves it there once rendered); then the reader moves on.
    await eventually(() => page.evaluate(() => document.activeElement?.matches(".edit-input")), 5000, "the editor to have focus");
    await answer.focus({ timeout: 5000 });
    await answer.getByRole("button", { name: "Reply" }).click({ timeout: 5000 });
    await page.locator(".reply-bar").waitFor({ timeout: 5000 });
    await page.screenshot({ path: screenshotPath(`a11y-room-editing-${name}`) });
    await check(page, `room while editing and replying (${name})`);

    // A room of the reader's own, as its owner, and its members page with every control; the sidebar open as a drawer.
    await page.goto("/rooms", { timeout: 10_000 });
    await page.getByLabel("Name").fill(`Den ${name}`);
    await page.getByRole("button", { name: "Create room" }).click();
    await page.locator("#composer-input:not([disabled])").waitFor({ timeout: 10_000 });
    await page.getByRole("link", { name: "Members" }).click();
    await page.getByRole("heading", { name: "Add someone" }).waitFor({ timeout: 5000 });
    await page.getByLabel("Username").fill("olga");
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await page.getByText("olga was added.").waitFor({ timeout: 5000 });
    if (viewport.width < 760) await page.getByRole("button", { name: "Rooms and conversations" }).click();
    await page.getByRole("button", { name: "New direct message" }).click({ timeout: 5000 });
    await page.getByLabel("Message someone").pressSequentially("ol", { delay: 30 });
    await page.locator(".dm-result").first().waitFor({ timeout: 5000 });
    await page.screenshot({ path: screenshotPath(`a11y-members-${name}`), fullPage: true });
    await check(page, `members page, sidebar and direct message picker (${name})`);
    await page.context().close();
    done();
  });
}
