// Headless Chromium from Debian's package, driven by playwright-core (no browser download).
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

export const screenshots = resolve(dirname(fileURLToPath(import.meta.url)), "../../../artifacts/screenshots");

export async function launch() {
  mkdirSync(screenshots, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

export function screenshotPath(name) {
  return join(screenshots, `${name}.png`);
}

/** Registers through the sign-up page (which logs the new user in) and returns the page; `options` go to the browser context. */
export async function signUp(browser, server, username, { viewport, ...options } = {}) {
  const context = await browser.newContext({ baseURL: server.url, viewport: viewport ?? { width: 1280, height: 800 }, ...options });
  const page = await context.newPage();
  await page.goto("/register");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Email").fill(`${username}@example.com`);
  await page.getByLabel("Password").fill(`password-${username}`);
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.waitForURL("**/rooms");
  return page;
}

/** Opens a room and waits until the page is live (the composer is enabled once the circuit is connected). */
export async function openRoom(page, slug) {
  await page.goto(`/rooms/${slug}`);
  await page.locator("#composer-input:not([disabled])").waitFor();
}

export async function send(page, text) {
  const composer = page.locator("#composer-input");
  await composer.fill(text);
  await composer.press("Enter");
}
