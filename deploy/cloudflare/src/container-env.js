// What the .NET server in the container is told: its environment, read by ASP.NET Core configuration when the
// container starts (a changed secret takes effect at the next start).

import { CLIENT_IP_HEADER } from "./for-container.js";

/** The virtual host the container reaches D1 at (Storage:D1:BaseUrl); the Worker's outbound handler answers it. */
export const D1_HOST = "d1.internal";

export function containerEnv(env) {
  return {
    ASPNETCORE_ENVIRONMENT: "Production",
    PORT: "8080", // Kestrel; ChatServer.defaultPort
    SECRET_KEY_BASE: env.SECRET_KEY_BASE ?? "",
    Storage__Provider: "D1",
    Storage__D1__BaseUrl: `http://${D1_HOST}`,
    // Every request reaches the container from the Worker, which puts the visitor's address in this header
    // (for-container.js): per-IP log-in and sign-up limits count visitors, not the Worker.
    Confab__RateLimits__ClientIpHeader: CLIENT_IP_HEADER,
    // The public host name (a wrangler var): a browser's socket must come from a page on it (Origin check).
    ...(filled(env.PHX_HOST) ? { PHX_HOST: env.PHX_HOST.trim() } : {}),
    // /metrics is reachable through the Worker like any other path: it answers only with the token (a secret,
    // `wrangler secret put METRICS_TOKEN`), and without one it is not served at all.
    ...(filled(env.METRICS_TOKEN)
      ? { Confab__Telemetry__MetricsToken: env.METRICS_TOKEN }
      : { Confab__Telemetry__MetricsEnabled: "false" }),
  };
}

function filled(value) {
  return typeof value === "string" && value.trim() !== "";
}
