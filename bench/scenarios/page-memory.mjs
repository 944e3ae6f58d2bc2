// Server memory per open room page: N Chromium pages (one context per user, signed in through /login) on a room of 50
// messages; RSS from /proc before and after, and optionally a heap dump (dotnet-gcdump) to see what a page holds.
// usage (after dotnet publish src/Confab -c Release -o artifacts/confab; npm ci in tests/clients):
//   node bench/scenarios/page-memory.mjs N [dump.gcdump]     (dotnet tool install -g dotnet-gcdump for the dump)
import { startServer, newUser, postMessage } from "../../tests/clients/support/server.mjs";
import { launch } from "../../tests/clients/support/browser.mjs";
import { readFileSync } from "node:fs";
import { execSync } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";

const n = Number(process.argv[2] ?? 20);
const dump = process.argv[3];
const server = await startServer({ env: { Confab__Messages__RateLimitCount: "100000" } });
const port = new URL(server.url).port;
const pid = Number(execSync(`pgrep -f "Confab.dll --urls http://127.0.0.1:${port}"`).toString().trim().split("\n")[0]);
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;
const room = "general";
const users = [];
for (let i = 0; i < n + 1; i++) users.push(await newUser(server, `u${i}x${Date.now() % 100000}`));
for (let i = 0; i < 50; i++) await postMessage(server, users[i % users.length], room, `history message number ${i} with **some** text in it to look like chat`);
const browser = await launch();
async function open(user) {
  const context = await browser.newContext({ baseURL: server.url });
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("Username or email").fill(user.username);
  await page.getByLabel("Password").fill("password-" + user.username);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL("**/rooms");
  await page.goto(`/rooms/${room}`);
  await page.locator("#composer-input:not([disabled])").waitFor();
  return page;
}
await open(users[n]); // a warm-up page: the first one pays for JIT and caches
await sleep(5000);
const idle = rss();
const pages = [];
const t0 = Date.now();
for (let i = 0; i < n; i++) pages.push(await open(users[i]));
console.log(`${n} pages open in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
await sleep(10000);
const opened = rss();
console.log(`RSS idle ${idle.toFixed(1)} MiB, with ${n} pages ${opened.toFixed(1)} MiB: ${(((opened - idle) * 1024) / n).toFixed(0)} KiB per page`);
if (dump) {
  execSync(`$HOME/.dotnet/tools/dotnet-gcdump collect -p ${pid} -o ${dump}`, { stdio: "inherit" });
  const after = rss();
  console.log(`RSS after the dump's full GC: ${after.toFixed(1)} MiB: ${(((after - idle) * 1024) / n).toFixed(0)} KiB per page`);
  // The managed heap, by type: compare a dump of N pages with one of 1 (the per-page cost is the difference / (N - 1)).
  console.log(execSync(`$HOME/.dotnet/tools/dotnet-gcdump report ${dump}`).toString().split("\n").slice(0, 2).join("\n"));
}
await browser.close();
await server.close();
