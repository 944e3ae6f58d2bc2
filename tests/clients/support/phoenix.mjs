// The official phoenix client, unmodified, with `ws` as its transport (Node 20 has no global WebSocket).
import { Socket } from "phoenix";
import WebSocket from "ws";
import { setTimeout as sleep } from "node:timers/promises";

const sockets = new Set();

export function connect(server, params, options = {}) {
  const socket = new Socket(server.socketUrl, { transport: WebSocket, params, ...options });
  sockets.add(socket);
  socket.connect();
  return socket;
}

export function disconnectAll() {
  for (const socket of sockets) socket.disconnect();
  sockets.clear();
}

/** Resolves with the response of the push's "ok" reply; rejects on "error" or "timeout". */
export function reply(push) {
  return new Promise((ok, fail) =>
    push
      .receive("ok", ok)
      .receive("error", (e) => fail(new Error("error reply: " + JSON.stringify(e))))
      .receive("timeout", () => fail(new Error("timeout"))),
  );
}

export function errorReply(push) {
  return new Promise((ok, fail) =>
    push
      .receive("ok", (r) => fail(new Error("unexpected ok: " + JSON.stringify(r))))
      .receive("error", ok)
      .receive("timeout", () => fail(new Error("timeout"))),
  );
}

/** Polls until `check()` is truthy, or fails after `ms`. */
export async function eventually(check, ms = 5000, what = "condition") {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Collects every payload of `event` on a channel. */
export function collect(channel, event) {
  const seen = [];
  channel.on(event, (payload) => seen.push(payload));
  return seen;
}
