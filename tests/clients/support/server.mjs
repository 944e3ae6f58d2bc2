// Confab as a real server process on 127.0.0.1, over a SQLite file in a temp folder; or, when CONFAB_D1_URL is set
// (test.sh's D1 step, inside deploy/cloudflare/local-d1.sh), over that local D1, emptied first; or, when CONFAB_POSTGRES
// is set (test.sh's PostgreSQL step, inside tests/postgres/local-postgres.sh), on a new database of that PostgreSQL.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
// The published app (test.sh publishes it), run from its own folder so that it finds its wwwroot.
const builtDll = process.env.CONFAB_DLL ?? join(repo, "artifacts/confab/Confab.dll");
const d1Url = process.env.CONFAB_D1_URL;
const postgres = process.env.CONFAB_POSTGRES;

/** Runs SQL on the PostgreSQL of CONFAB_POSTGRES (an Npgsql connection string) as its superuser, with psql. */
/** Runs `sql` on the local PostgreSQL (in `database`, else CONFAB_POSTGRES's own); resolves with what it printed. */
function psql(sql, database) {
  const settings = Object.fromEntries(postgres.split(";").filter(Boolean).map((pair) => pair.split("=")));
  return execFileSync("psql", ["-h", settings.Host, "-p", settings.Port, "-U", settings.Username, "-d", database ?? settings.Database, "-qAt", "-c", sql], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
}

/** A new, empty PostgreSQL database (Confab migrates it when it starts): its Npgsql connection string. */
export function newPostgresDatabase() {
  const name = `confab_${randomBytes(8).toString("hex")}`;
  psql(`CREATE DATABASE ${name}`);
  return {
    name,
    connectionString: postgres.replace(/Database=[^;]*/, `Database=${name}`),
    sql: (statement) => psql(statement, name),
    drop: () => psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** Deletes what tests wrote to the shared local D1 (tests/d1/reset.sql), so each server starts as on a fresh database. */
async function resetD1() {
  const batch = readFileSync(join(repo, "tests/d1/reset.sql"), "utf8")
    .split(";\n")
    .map((part) => part.split("\n").filter((line) => !line.startsWith("--")).join("\n").trim())
    .filter((sql) => sql.length > 0)
    .map((sql) => ({ sql, params: [] }));
  const response = await fetch(`${d1Url}/query`, { method: "POST", body: JSON.stringify({ batch }), signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`resetting the local D1: ${response.status} ${await response.text()}`);
}

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

/**
 * Starts Confab; `restart()` starts it again on the same port and database. `listenVia` says how it is told the port:
 * `--urls` on 127.0.0.1 (default), or `PORT` (as the container image does) or `ASPNETCORE_HTTP_PORTS` (as the official
 * .NET images do), which listen on every interface: only inside a loopback-only namespace, see tests/clients/isolated.
 * Nodes of one cluster share a `database` (from `newPostgresDatabase()`, dropped by its owner, not here) and a `secret`.
 */
export async function startServer({ env = {}, dll = builtDll, listenVia = "--urls", database: shared, secret } = {}) {
  if (!existsSync(dll)) throw new Error(`${dll} is missing: publish Confab first (dotnet publish src/Confab -c Release -o artifacts/confab)`);
  if (d1Url) await resetD1();
  const database = shared ?? (postgres ? newPostgresDatabase() : null);
  const folder = mkdtempSync(join(tmpdir(), "confab-clients-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const childEnv = {
    ...process.env,
    ASPNETCORE_ENVIRONMENT: "Production",
    DATABASE_PATH: join(folder, "confab.db"),
    SECRET_KEY_BASE: secret ?? randomBytes(48).toString("base64"),
    Logging__LogLevel__Default: "Warning",
    // Every test user signs up and logs in from 127.0.0.1: the per-IP limits would stop a suite, not an attacker.
    // (The limits themselves are tested in tests/Confab.Tests/Security.)
    Confab__RateLimits__RegistrationsPerIp: "100000",
    Confab__RateLimits__LogInsPerIp: "100000",
    ...(d1Url ? { Storage__Provider: "D1", Storage__D1__BaseUrl: d1Url } : {}),
    ...(database ? { Storage__Provider: "Postgres", ConnectionStrings__Postgres: database.connectionString } : {}),
    ...(listenVia === "--urls" ? {} : { [listenVia]: String(port) }),
    // The room page's side (Server or WebAssembly): test.sh runs the web suites in both.
    ...(process.env.CONFAB_ROOM_RENDER_MODE ? { Confab__Web__RoomRenderMode: process.env.CONFAB_ROOM_RENDER_MODE } : {}),
    ...env,
  };
  for (const name of ["PORT", "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS"]) if (name !== listenVia && !(name in env)) delete childEnv[name];
  const args = listenVia === "--urls" ? [dll, "--urls", url] : [dll];
  let child;
  let output = "";

  async function start() {
    output = "";
    child = spawn("dotnet", args, { cwd: dirname(dll), env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`Confab exited (${child.exitCode}):\n${output}`);
      let ready = false;
      try {
        ready = (await fetch(`${url}/readyz`)).ok;
      } catch {
        // not listening yet
      }
      if (ready) {
        if ((d1Url || database) && existsSync(childEnv.DATABASE_PATH)) throw new Error("Confab was to run on a shared database but opened a SQLite file");
        return;
      }
      await sleep(100);
    }
    throw new Error(`Confab was not ready in 30 s:\n${output}`);
  }

  /** Signals the process and resolves with its exit code (null when a signal ended it). */
  async function stop(signal = "SIGTERM") {
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode;
    const exited = new Promise((ok) => child.once("exit", (code) => ok(code)));
    child.kill(signal);
    return exited;
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
      if (!shared) database?.drop();
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

/** Posts through the REST API (`replyTo`: the id of the message replied to) and returns the message. */
export async function postMessage(server, user, room, content, { replyTo } = {}) {
  const response = await fetch(`${server.url}/api/rooms/${room}/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${user.token}` },
    body: JSON.stringify({ content, ...(replyTo ? { reply_to: replyTo } : {}) }),
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status !== 201) throw new Error(`post: ${response.status} ${await response.text()}`);
  return response.json();
}

/** Every event of a room in seq order, paged through the REST API: `[{ event, payload }]`. */
export async function roomEvents(server, user, room) {
  const events = [];
  for (let after = 0; ; ) {
    const response = await fetch(`${server.url}/api/rooms/${room}/events?after_seq=${after}&limit=500`, {
      headers: { authorization: `Bearer ${user.token}` },
      signal: AbortSignal.timeout(10_000),
    });
    if (response.status !== 200) throw new Error(`events: ${response.status} ${await response.text()}`);
    const page = await response.json();
    events.push(...page.events);
    if (!page.has_more) return events;
    after = events.at(-1).payload.seq;
  }
}

/**
 * Asserts that a room's events run 1..N with no gap (messages and the members joining between them alike) and that
 * `messages` are exactly its new_message events, in order.
 */
export async function assertNoGaps(server, user, room, messages) {
  const events = await roomEvents(server, user, room);
  const seqs = events.map((e) => e.payload.seq);
  const expected = Array.from({ length: seqs.length }, (_, i) => i + 1);
  if (JSON.stringify(seqs) !== JSON.stringify(expected)) throw new Error(`the room's seqs have gaps: ${seqs.join(",")}`);
  const posted = events.filter((e) => e.event === "new_message").map((e) => e.payload.seq);
  if (JSON.stringify(posted) !== JSON.stringify(messages.map((m) => m.seq))) {
    throw new Error(`messages ${messages.map((m) => m.seq).join(",")} are not the room's new_message events ${posted.join(",")}`);
  }
}

/** Makes `user` a member of the public `room` (a room event of its own: `member_added`). */
export async function joinRoom(server, user, room) {
  const response = await fetch(`${server.url}/api/rooms/${room}/members`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${user.token}` },
    body: JSON.stringify({ username: user.username }),
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status !== 201 && response.status !== 200) throw new Error(`join ${room}: ${response.status} ${await response.text()}`);
}

/** A JSON API call as `user`: `{ status, body }`. */
export async function api(server, user, method, path, body) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { "content-type": "application/json", authorization: `Bearer ${user.token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}
