// The web UI under its Content-Security-Policy in headless Chromium: every page works, and the browser reports
// no violation (the only inline script, Blazor's import map, carries the response's nonce; no eval, no inline styles).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, newUser } from "./support/server.mjs";
import { connect, disconnectAll, reply } from "./support/phoenix.mjs";
import { launch, openRoom, send } from "./support/browser.mjs";

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

test("sign up, create a room, chat live and log out with no CSP violation", async () => {
  const context = await browser.newContext({ baseURL: server.url });
  const violations = [];
  const errors = [];
  await context.exposeBinding("reportCsp", (_, text) => violations.push(text));
  await context.addInitScript(() =>
    document.addEventListener("securitypolicyviolation", (e) => window.reportCsp(`${e.effectiveDirective} ${e.blockedURI} ${e.sample}`)),
  );
  const page = await context.newPage();
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(e.message));

  const register = await page.goto("/register");
  const csp = register.headers()["content-security-policy"];
  assert.match(csp, /script-src 'self' 'nonce-[\w-]+'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe/);
  await page.getByLabel("Username").fill("cass");
  await page.getByLabel("Email").fill("cass@example.com");
  await page.getByLabel("Password").fill("password-cass");
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.waitForURL("**/rooms");

  await page.getByLabel("Name").fill("Policy Room");
  await page.getByRole("button", { name: "Create room" }).click();
  await page.waitForURL("**/rooms/policy-room");
  await openRoom(page, "policy-room");
  await send(page, "hello under a strict policy");
  await page.locator(".message", { hasText: "hello under a strict policy" }).waitFor({ timeout: 5000 });

  // Live updates from a socket user: a new message and the typing line render under the policy too.
  const dan = await newUser(server, "dan");
  const channel = connect(server, { token: dan.token }).channel("room:policy-room", {});
  await reply(channel.join());
  channel.push("typing", {});
  await page.getByTestId("typing").filter({ hasText: "dan" }).waitFor({ timeout: 5000 });
  await reply(channel.push("new_message", { content: "from a socket" }));
  await page.locator(".message", { hasText: "from a socket" }).waitFor({ timeout: 5000 });
  assert.equal(await page.locator(".message .avatar[style]").count(), 0);

  await page.getByRole("button", { name: "Log out" }).click();
  await page.waitForURL("**/login");
  await page.getByLabel("Username or email").fill("cass");
  await page.getByLabel("Password").fill("password-cass");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL("**/rooms");

  assert.deepEqual(violations, []);
  assert.deepEqual(errors, []);

  // The check can fail: an injected inline script is blocked and reported.
  const ran = await page.evaluate(() => {
    const script = document.createElement("script");
    script.textContent = "window.injected = true";
    document.body.append(script);
    return window.injected === true;
  });
  assert.equal(ran, false);
  await new Promise((ok) => setTimeout(ok, 200));
  assert.equal(violations.length, 1, JSON.stringify(violations));
  assert.match(violations[0], /^script-src-elem inline/);
  await context.close();
});
