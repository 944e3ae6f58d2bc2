// The web UI across nodes, in headless Chromium: two people in one room, each browser on its own node (as sticky
// sessions keep a browser on the node that holds its page's circuit), one of them on a phone-sized screen. Presence,
// typing and messages cross the nodes both ways, and a page reloaded on its node shows what was said meanwhile.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startCluster } from "../support/cluster.mjs";
import { launch, signUp, openRoom, send, screenshotPath } from "../support/browser.mjs";
import { eventually } from "../support/phoenix.mjs";

let cluster;
let browser;
before(async () => {
  cluster = await startCluster(2);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await cluster?.close();
});

const onlineNames = (page) => page.locator("[data-testid=online] .online-name").allTextContents();
const messageTexts = (page) => page.locator(".message .content").allTextContents();

test("two browsers on two nodes: presence, typing and messages both ways, and a reload on the other node", async () => {
  const [first, second] = cluster.nodes;
  const ann = await signUp(browser, first, "ann");
  const ben = await signUp(browser, second, "ben", { viewport: { width: 390, height: 844 } });
  await openRoom(ann, "tech-talk");
  await openRoom(ben, "tech-talk");

  await eventually(async () => (await onlineNames(ann)).includes("ben"), 5000, "ann (node 0) to see ben (node 1) online");
  await eventually(async () => (await onlineNames(ben)).includes("ann"), 5000, "ben (node 1) to see ann (node 0) online");

  await ann.locator("#composer-input").pressSequentially("on node z", { delay: 20 });
  await eventually(async () => (await ben.locator("[data-testid=typing]").textContent()) === "ann is typing…", 2000, "ben to see ann typing");
  await ann.locator("#composer-input").fill("");

  const sentAt = Date.now();
  await send(ann, "hello from node 0");
  await ben.locator(".message .content", { hasText: "hello from node 0" }).waitFor({ timeout: 2000 });
  assert.ok(Date.now() - sentAt <= 2000, `delivered across nodes in ${Date.now() - sentAt} ms`);
  await send(ben, "and back from node 1 📱");
  await ann.locator(".message .content", { hasText: "and back from node 1" }).waitFor({ timeout: 2000 });

  // Ben reloads (a new circuit on his node) while ann goes on talking: the page shows everything, in order.
  await send(ann, "said while ben reloads");
  await openRoom(ben, "tech-talk");
  await ben.locator(".message .content", { hasText: "said while ben reloads" }).waitFor({ timeout: 5000 });
  const benSees = await messageTexts(ben);
  const order = ["hello from node 0", "and back from node 1 📱", "said while ben reloads"].map((text) => benSees.indexOf(text));
  assert.ok(order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1])), `ben's page after the reload: ${JSON.stringify(benSees)}`);
  await eventually(async () => (await onlineNames(ben)).includes("ann"), 5000, "ann still online on ben's reloaded page");

  await ann.screenshot({ path: screenshotPath("cluster-room-desktop") });
  await ben.screenshot({ path: screenshotPath("cluster-room-phone") });

  await ben.context().close();
  await eventually(async () => !(await onlineNames(ann)).includes("ben"), 5000, "ben to drop off ann's list when he leaves node 1");
  await ann.context().close();
});
