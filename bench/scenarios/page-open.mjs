// How long the room page takes to open in Chromium, with the page on the server (Blazor Server) and in the browser
// (WebAssembly): from navigation to the history shown (the prerendered HTML) and to the page live (the composer
// enabled), on a fresh browser context (nothing cached: WebAssembly downloads its runtime) and on a second visit in the
// same context (cached). Medians of RUNS (default 5), one server per mode, on a room of 50 messages.
// usage (after dotnet publish src/Confab -c Release -o artifacts/confab; npm ci in tests/clients):
//   node bench/scenarios/page-open.mjs [RUNS]
import { startServer, newUser, postMessage } from "../../tests/clients/support/server.mjs";
import { launch } from "../../tests/clients/support/browser.mjs";

const runs = Number(process.argv[2] ?? 5);
const browser = await launch();
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function measure(mode) {
  const server = await startServer({ env: { Confab__Web__RoomRenderMode: mode, Confab__Messages__RateLimitCount: "100000" } });
  try {
    const writer = await newUser(server, "writer");
    for (let i = 0; i < 50; i++) await postMessage(server, writer, "general", `history message number ${i} with **some** text in it to look like chat`);
    const cold = { shown: [], live: [], bytes: [] };
    const warm = { shown: [], live: [], bytes: [] };
    for (let run = 0; run < runs + 1; run++) {
      const user = await newUser(server, `reader${run}`);
      const context = await browser.newContext({ baseURL: server.url });
      const page = await context.newPage();
      await page.goto("/login");
      await page.getByLabel("Username or email").fill(user.username);
      await page.getByLabel("Password").fill(`password-${user.username}`);
      await page.getByRole("button", { name: "Log in" }).click();
      await page.waitForURL("**/rooms");
      for (const visit of [cold, warm]) {
        let bytes = 0;
        // Bytes as sent (compressed), and 0 for what came from the browser's cache.
        const count = (response) => response.request().sizes().then((sizes) => (bytes += sizes.responseBodySize), () => {});
        page.on("response", count);
        const started = Date.now();
        await page.goto("/rooms/general", { waitUntil: "commit" });
        await page.locator(".message").first().waitFor();
        const shown = Date.now() - started;
        await page.locator("#composer-input:not([disabled])").waitFor({ timeout: 30000 });
        const live = Date.now() - started;
        page.off("response", count);
        // The first run of each mode warms the server (JIT): not counted.
        if (run > 0) {
          visit.shown.push(shown);
          visit.live.push(live);
          visit.bytes.push(bytes);
        }

        await page.goto("/rooms");
      }

      await context.close();
    }

    for (const [name, visit] of [["first visit", cold], ["second visit", warm]]) {
      console.log(`${mode.padEnd(11)} ${name.padEnd(12)}: history shown ${median(visit.shown)} ms, live ${median(visit.live)} ms, `
        + `${(median(visit.bytes) / 1024).toFixed(0)} KiB received (medians of ${runs})`);
    }
  } finally {
    await server.close();
  }
}

for (const mode of ["Server", "WebAssembly"]) await measure(mode);
await browser.close();
