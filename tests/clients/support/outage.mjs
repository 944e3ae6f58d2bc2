// The server away and back under an open room page, as web_reconnect (the page on the server) and web_wasm (the page
// in the browser) both check it: a banner while it is away, the composer waiting; afterwards every message sent
// meanwhile, and sending works again.
import assert from "node:assert/strict";
import { newUser, postMessage, roomEvents } from "./server.mjs";
import { eventually } from "./phoenix.mjs";
import { openRoom, send, screenshotPath } from "./browser.mjs";

const missed = ["before the outage", "while you were away 1", "while you were away 2", "while you were away 3"];

/**
 * Runs the outage on `page` (signed in, not yet in a room); `whileAway` checks the page while the banner shows.
 * Checks that the page shows every message of the room at the end, and returns their seqs.
 */
export async function outageAndBack(page, server, { writer, screenshot, whileAway = async () => {} }) {
  const other = await newUser(server, writer);
  await openRoom(page, "general");
  await postMessage(server, other, "general", missed[0]);
  await page.locator(".message .content", { hasText: missed[0] }).waitFor({ timeout: 5000 });

  await server.stop();
  const banner = page.getByRole("status").filter({ hasText: "Connection lost" });
  await banner.waitFor({ state: "visible", timeout: 10000 });
  await whileAway();
  await page.screenshot({ path: screenshotPath(screenshot) });

  await server.start();
  for (let i = 1; i <= 3; i++) await postMessage(server, other, "general", missed[i]);
  await eventually(async () => {
    const shown = await page.locator(".message .content").allTextContents().catch(() => []);
    return missed.every((t) => shown.includes(t));
  }, 30000, "the room to show what was missed");
  await banner.waitFor({ state: "hidden", timeout: 10000 });

  await page.locator("#composer-input:not([disabled])").waitFor({ timeout: 10000 });
  await send(page, "back again");
  await page.locator(".message .content", { hasText: "back again" }).waitFor({ timeout: 5000 });
  const seqs = await page.locator(".message").evaluateAll((els) => els.map((e) => Number(e.dataset.seq)));
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), "in seq order");
  assert.equal(new Set(seqs).size, seqs.length, "no message twice");
  const posted = (await roomEvents(server, other, "general")).filter((e) => e.event === "new_message").map((e) => e.payload.seq);
  assert.deepEqual(seqs, posted, "every message of the room");
  return seqs;
}
