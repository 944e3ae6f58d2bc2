// Several Confab nodes as one: real processes on one PostgreSQL database (CONFAB_POSTGRES, tests/postgres/local-postgres.sh)
// and one real redis-server on 127.0.0.1, started here on a free port with nothing persisted.
import { spawn, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { startServer, freePort, newPostgresDatabase } from "./server.mjs";
import { eventually } from "./phoenix.mjs";

/** A redis-server of its own: `cli(...args)` runs redis-cli against it; `stop()` kills it; `start()` starts it again, empty. */
export async function startRedis() {
  const port = await freePort();
  let child;
  const cli = (...args) => execFileSync("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], { encoding: "utf8" }).trim();
  async function start() {
    child = spawn("redis-server", ["--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    for (let i = 0; i < 100; i++) {
      try {
        if (cli("PING") === "PONG") return;
      } catch {
        // not up yet
      }
      await sleep(50);
    }
    throw new Error(`redis-server did not answer on port ${port}`);
  }
  async function stop() {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((ok) => child.once("exit", ok));
    child.kill("SIGKILL");
    await exited;
  }
  await start();
  return { port, configuration: `127.0.0.1:${port}`, cli, start, stop };
}

/** `count` nodes on one new database and one Redis, each with its node id (`node-0`...); `close()` ends it all. */
export async function startCluster(count, { env = {} } = {}) {
  if (!process.env.CONFAB_POSTGRES) throw new Error("the cluster suites need CONFAB_POSTGRES: run them in tests/postgres/local-postgres.sh");
  const redis = await startRedis();
  const database = newPostgresDatabase();
  const secret = randomBytes(48).toString("base64");
  const nodes = [];
  try {
    for (let i = 0; i < count; i++) {
      nodes.push(
        await startServer({
          database,
          secret,
          env: { Redis__Configuration: redis.configuration, Confab__Cluster__NodeId: `node-${i}`, ...env },
        }),
      );
    }
  } catch (e) {
    await Promise.all(nodes.map((node) => node.close()));
    await redis.stop();
    database.drop();
    throw e;
  }
  return {
    nodes,
    redis,
    database,
    close: async () => {
      await Promise.all(nodes.map((node) => node.close()));
      await redis.stop();
      database.drop();
    },
  };
}

/** Waits until every node of `cluster` says Redis is healthy again (after `cluster.redis.start()`). */
export async function backOnRedis(cluster) {
  for (const node of cluster.nodes) {
    await eventually(async () => (await (await fetch(`${node.url}/readyz`)).json()).checks.redis.status === "Healthy", 15_000, `${node.url} back on Redis`);
  }
}
