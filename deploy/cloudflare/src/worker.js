// Confab on Cloudflare: this Worker fronts one container that runs the .NET server, and serves that container
// its database (D1) through an outbound handler, since a container cannot hold bindings itself.
import { Container, ContainerProxy, getContainer } from "@cloudflare/containers";
import { serveD1 } from "./d1-contract.js";
import { D1_HOST, containerEnv } from "./container-env.js";
import { edgeClientIp, forContainer } from "./for-container.js";

// Required for outbound handlers: the runtime routes the container's outbound HTTP through it.
export { ContainerProxy };

export class ChatServer extends Container {
  defaultPort = 8080; // Kestrel: PORT=8080 below
  sleepAfter = "30m"; // an open WebSocket keeps the container awake anyway
  enableInternet = false; // the server needs nothing but D1, which it reaches through the handler below

  constructor(ctx, env) {
    super(ctx, env);
    this.envVars = containerEnv(env);
  }
}

// The container's plain HTTP to d1.internal is answered here, with the D1 binding. An assignment, not a
// `static outboundByHost = ...` field: a class field would define an own property and skip Container's static
// setter, which is what registers the handler for the ContainerProxy (test/worker.test.mjs checks this).
ChatServer.outboundByHost = {
  [D1_HOST]: (request, env) => serveD1(request, env.DB),
};

export default {
  async fetch(request, env) {
    const url = new URL(request.url);

    // `wrangler dev --var CONFAB_LOCAL_D1:expose` (tests and benchmarks only) serves the same contract on
    // /__d1/query, so the code that serves the container in production is what the tests run against.
    // Never set in production; and even then only answered for a loopback host.
    if (env.CONFAB_LOCAL_D1 === "expose" && url.pathname.startsWith("/__d1/") && isLoopback(url.hostname)) {
      return serveD1(request, env.DB, url.pathname.slice("/__d1".length));
    }

    if (!env.SECRET_KEY_BASE) {
      return new Response("Confab is not configured: set the secret with `wrangler secret put SECRET_KEY_BASE`.\n", { status: 503 });
    }

    // One instance holds every room: a Phoenix socket multiplexes rooms, so all of a socket's rooms must live
    // in one process. HTTP and WebSocket upgrades alike go through the Durable Object, which relays both ends,
    // with the visitor's address (from the edge) in CF-Connecting-IP for Confab's per-IP limits.
    return getContainer(env.CHAT_SERVER, "main").fetch(forContainer(request, edgeClientIp(request)));
  },
};

function isLoopback(hostname) {
  return hostname === "127.0.0.1" || hostname === "localhost" || hostname === "[::1]";
}
