// The room page on WebAssembly (Confab:Web:RoomRenderMode=WebAssembly; test.sh runs this file with
// CONFAB_ROOM_RENDER_MODE=WebAssembly, as it runs web_ui and web_events): prerendered by the server, then live in the
// browser on the Phoenix socket every client uses, with no Blazor circuit. What only this side has: its own socket
// lost and found again, and a token that runs out while the page is open.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, newUser, postMessage } from "./support/server.mjs";
import { eventually } from "./support/phoenix.mjs";
import { launch, signUp, openRoom, send, screenshotPath } from "./support/browser.mjs";
import { outageAndBack } from "./support/outage.mjs";

let server;
let browser;
before(async () => {
  server = await startServer({ env: { Confab__Web__RoomRenderMode: "WebAssembly" } });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

const texts = (page) => page.locator(".message .content").allTextContents();

test("the room is prerendered with its history, then live over the Phoenix socket with no circuit", async () => {
  const page = await signUp(browser, server, "wanda");
  const sockets = [];
  const joins = [];
  page.on("websocket", (socket) => {
    sockets.push(new URL(socket.url()).pathname);
    socket.on("framesent", ({ payload }) => String(payload).includes('"phx_join"') && joins.push(JSON.parse(payload)));
  });
  const sam = await newUser(server, "sam");
  await postMessage(server, sam, "general", "already here");

  // The server's HTML has the history in it: the page reads before any script runs.
  const html = await (await page.request.get("/rooms/general")).text();
  assert.match(html, /already here/);
  assert.match(html, /Blazor:\{"type":"webassembly"/);

  await openRoom(page, "general");
  assert.deepEqual(await texts(page), ["already here"]);
  await postMessage(server, sam, "general", "live from sam");
  await page.locator(".message .content", { hasText: "live from sam" }).waitFor({ timeout: 5000 });
  await send(page, "hello from WebAssembly");
  await page.locator(".message .content", { hasText: "hello from WebAssembly" }).waitFor({ timeout: 5000 });
  // The message can arrive (its broadcast) a moment before the push's reply, which clears the composer.
  await eventually(async () => (await page.locator("#composer-input").inputValue()) === "", 5000, "the composer cleared");
  await eventually(async () => (await page.locator("[data-testid=online] .online-name").allTextContents()).includes("wanda"), 5000, "wanda online");

  assert.deepEqual([...new Set(sockets)], ["/socket/websocket"]);
  // The browser started from the prerendered history (persisted in the page): it joined for what came after it only.
  // (Seq 1 is sam joining the room as he first posted; 2 his message.) The sidebar joined wanda's user channel.
  const joined = joins.map(([, , topic, , payload]) => [topic, payload]);
  assert.deepEqual(joined.filter(([topic]) => topic.startsWith("room:")), [["room:general", { last_seq: 2 }]]);
  assert.deepEqual(joined.filter(([topic]) => topic.startsWith("user:")).map(([topic, payload]) => [topic.replace(/\d+$/, "<id>"), payload]), [["user:<id>", {}]]);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: screenshotPath("room-webassembly-phone") });
  await page.context().close();
});

test("its socket lost: a banner, the composer waits; back: every message sent meanwhile, in order", async () => {
  const page = await signUp(browser, server, "rosa");
  await outageAndBack(page, server, {
    writer: "tom",
    screenshot: "room-webassembly-reconnecting",
    whileAway: async () => assert.equal(await page.locator("#composer-input").isDisabled(), true),
  });
  await page.context().close();
});

test("a socket token that runs out while the page is open is renewed from the session; nothing is missed", async () => {
  // Tokens of 3 s here (24 h by default): the page's runs out twice during the test.
  const short = await startServer({ env: { Confab__Web__RoomRenderMode: "WebAssembly", Confab__Auth__TokenLifetime: "00:00:03" } });
  try {
    const page = await signUp(browser, short, "tess");
    const renewals = [];
    page.on("response", (response) => {
      if (new URL(response.url()).pathname === "/api/auth/token") renewals.push(response.status());
    });
    await openRoom(page, "general");
    for (let i = 1; i <= 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const writer = await newUser(short, `writer${i}`);
      await postMessage(short, writer, "general", `message ${i}`);
    }

    await eventually(async () => {
      const shown = await texts(page);
      return [1, 2, 3, 4].every((i) => shown.includes(`message ${i}`));
    }, 15000, "every message across the renewals");
    assert.ok(renewals.length >= 1 && renewals.every((status) => status === 200), `renewals: ${renewals}`);
    await send(page, "still here");
    await page.locator(".message .content", { hasText: "still here" }).waitFor({ timeout: 10000 });
    await page.context().close();
  } finally {
    await short.close();
  }
});
