// The web UI when its connection is lost: a banner while it is down, and afterwards the room shows every
// message sent in between.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, newUser, postMessage } from "./support/server.mjs";
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

test("a banner shows while the server is away; afterwards the room has every message", async () => {
  const page = await signUp(browser, server, "rita");
  const sam = await newUser(server, "sam");
  await openRoom(page, "general");
  await postMessage(server, sam, "general", "before the outage");
  await page.locator(".message .content", { hasText: "before the outage" }).waitFor({ timeout: 5000 });

  await server.stop();
  const banner = page.getByRole("status").filter({ hasText: "Connection lost" });
  await banner.waitFor({ state: "visible", timeout: 10000 });
  await page.screenshot({ path: screenshotPath("room-reconnecting") });

  await server.start();
  for (let i = 1; i <= 3; i++) await postMessage(server, sam, "general", `while you were away ${i}`);

  await eventually(async () => {
    const texts = await page.locator(".message .content").allTextContents().catch(() => []);
    return ["before the outage", "while you were away 1", "while you were away 2", "while you were away 3"].every((t) => texts.includes(t));
  }, 30000, "the room to show what was missed");
  await banner.waitFor({ state: "hidden", timeout: 10000 });

  await page.locator("#composer-input:not([disabled])").waitFor({ timeout: 10000 });
  await send(page, "back again");
  await page.locator(".message .content", { hasText: "back again" }).waitFor({ timeout: 5000 });
  const seqs = await page.locator(".message").evaluateAll((els) => els.map((e) => Number(e.dataset.seq)));
  assert.deepEqual(seqs, [1, 2, 3, 4, 5]);
  await page.context().close();
});
