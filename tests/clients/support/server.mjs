// Confab as a real server process on 127.0.0.1, over a SQLite file in a temp folder.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
// The published app (test.sh publishes it), run from its own folder so that it finds its wwwroot.
const dll = process.env.CONFAB_DLL ?? join(repo, "artifacts/confab/Confab.dll");

export async function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

/** Starts Confab; `restart()` starts it again on the same port and database. */
export async function startServer({ env = {} } = {}) {
  if (!existsSync(dll)) throw new Error(`${dll} is missing: publish Confab first (dotnet publish src/Confab -c Release -o artifacts/confab)`);
  const folder = mkdtempSync(join(tmpdir(), "confab-clients-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const childEnv = {
    ...process.env,
    ASPNETCORE_ENVIRONMENT: "Production",
    DATABASE_PATH: join(folder, "confab.db"),
    SECRET_KEY_BASE: randomBytes(48).toString("base64"),
    Logging__LogLevel__Default: "Warning",
    // The suites sign up and log in dozens of users from one address: the per-IP limits are raised here
    // (their defaults are tested in tests/Confab.Tests/Security).
    Confab__RateLimits__RegistrationsPerIp: "1000",
    Confab__RateLimits__LogInsPerIp: "1000",
    ...env,
  };
  let child;
  let output = "";

  async function start() {
    output = "";
    child = spawn("dotnet", [dll, "--urls", url], { cwd: dirname(dll), env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`Confab exited (${child.exitCode}):\n${output}`);
      try {
        if ((await fetch(`${url}/readyz`)).ok) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`Confab was not ready in 30 s:\n${output}`);
  }

  async function stop(signal = "SIGTERM") {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((ok) => child.once("exit", ok));
    child.kill(signal);
    await exited;
  }

  await start();
  return {
    url,
    socketUrl: `ws://127.0.0.1:${port}/socket`,
    output: () => output,
    start,
    stop,
    restart: async () => {
      await stop();
      await start();
    },
    close: async () => {
      await stop("SIGKILL");
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** Registers a user and returns `{ id, username, token }`. */
export async function newUser(server, username) {
  const password = "password-" + username;
  const registered = await fetch(`${server.url}/api/users`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, email: `${username}@example.com`, password }),
  });
  if (registered.status !== 201) throw new Error(`register ${username}: ${registered.status} ${await registered.text()}`);
  const issued = await fetch(`${server.url}/api/auth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  const body = await issued.json();
  return { id: body.user.id, username, token: body.token };
}

export async function postMessage(server, user, room, content) {
  const response = await fetch(`${server.url}/api/rooms/${room}/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${user.token}` },
    body: JSON.stringify({ content }),
  });
  if (response.status !== 201) throw new Error(`post: ${response.status} ${await response.text()}`);
  return response.json();
}
