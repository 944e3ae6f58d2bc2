// The web UI when its connection is lost: a banner while it is down, and afterwards the room shows every
// message sent in between; and a browser that stops keeping up is disconnected the same way.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, newUser, postMessage } from "./support/server.mjs";
import { eventually } from "./support/phoenix.mjs";
import { launch, signUp, openRoom } from "./support/browser.mjs";
import { outageAndBack } from "./support/outage.mjs";

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
  assert.equal((await outageAndBack(page, server, { writer: "sam", screenshot: "room-reconnecting" })).length, 5);
  await page.context().close();
});

test("a browser that stops acknowledging its updates is disconnected, reconnects and catches up; the room never waits", async () => {
  // A server of its own: a page may leave its updates unacknowledged for 2 s here (30 s by default).
  const strict = await startServer({ env: { Confab__Realtime__PageAckTimeout: "00:00:02" } });
  try {
    const watcher = await signUp(browser, strict, "wendy");
    await openRoom(watcher, "general");

    const page = await signUp(browser, strict, "ulla");
    // Between ulla's browser and the server: her render acknowledgements (OnRenderCompleted) are held back on the first
    // connection, as a browser too busy to apply what it gets would; the connection after it is left alone.
    let connections = 0;
    let holding = false;
    await page.context().routeWebSocket(/\/_blazor/, (ws) => {
      const connection = ++connections;
      const server = ws.connectToServer();
      ws.onMessage((message) => {
        const acknowledgement = typeof message !== "string" && Buffer.from(message).includes("OnRenderCompleted");
        if (!(acknowledgement && connection === 1 && holding)) server.send(message);
      });
    });
    await openRoom(page, "general");
    await page.locator("#composer-input").fill("a draft that survives");
    holding = true;

    const vera = await newUser(strict, "vera");
    const texts = [];
    for (let i = 1; i <= 8; i++) {
      texts.push(`while ulla lags ${i}`);
      await postMessage(strict, vera, "general", texts.at(-1));
      await new Promise((resolve) => setTimeout(resolve, 500));
    }

    // The room did not wait for her: wendy has every message at once.
    const shown = (p) => p.locator(".message .content").allTextContents().catch(() => []);
    const lags = async (p) => (await shown(p)).filter((t) => t.startsWith("while ulla lags"));
    await eventually(async () => (await lags(watcher)).length === texts.length, 2000, "wendy's page to have every message");
    assert.deepEqual(await lags(watcher), texts);

    // Her connection was closed after 2 s without acknowledgements; her browser reconnected to the same circuit (the
    // draft is still there) and the page caught up.
    await eventually(async () => connections >= 2, 10000, "a second connection");
    await eventually(async () => (await lags(page)).length === texts.length, 15000, "ulla's page to catch up");
    assert.deepEqual(await lags(page), texts);
    assert.equal(await page.locator("#composer-input").inputValue(), "a draft that survives");
    assert.equal(connections, 2, "one reconnect, not a loop");
    await page.context().close();
    await watcher.context().close();
  } finally {
    await strict.close();
  }
});
