// Confab on Cloudflare: this Worker fronts one container that runs the .NET server, and serves that container
// its database (D1) through an outbound handler, since a container cannot hold bindings itself.
import { Container, ContainerProxy, getContainer } from "@cloudflare/containers";
import { serveD1 } from "./d1-contract.js";

// Required for outbound handlers: the runtime routes the container's outbound HTTP through it.
export { ContainerProxy };

// The virtual host the container reaches D1 at (Storage:D1:BaseUrl); it never leaves Cloudflare. Not exported:
// every export of this module is taken for an entrypoint.
const D1_HOST = "d1.internal";

export class ChatServer extends Container {
  defaultPort = 8080; // Kestrel: PORT=8080 below
  sleepAfter = "30m"; // an open WebSocket keeps the container awake anyway
  enableInternet = false; // the server needs nothing but D1, which it reaches through the handler below

  static outboundByHost = {
    [D1_HOST]: (request, env) => serveD1(request, env.DB),
  };

  constructor(ctx, env) {
    super(ctx, env);
    // Read when the container starts: a new secret takes effect at the next start.
    this.envVars = {
      ASPNETCORE_ENVIRONMENT: "Production",
      PORT: "8080",
      SECRET_KEY_BASE: env.SECRET_KEY_BASE ?? "",
      Storage__Provider: "D1",
      Storage__D1__BaseUrl: `http://${D1_HOST}`,
    };
  }
}

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
    // in one process. HTTP and WebSocket upgrades alike go through the Durable Object, which relays both ends.
    return getContainer(env.CHAT_SERVER, "main").fetch(request);
  },
};

function isLoopback(hostname) {
  return hostname === "127.0.0.1" || hostname === "localhost" || hostname === "[::1]";
}
