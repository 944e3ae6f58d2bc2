// What the container is handed for each visitor's request (HTTP and WebSocket upgrades alike).
//
// The container sees every request arrive from the Worker, so without help every visitor would share the Worker's
// address, and with it one set of per-IP log-in and sign-up limits. Cloudflare's edge puts the visitor's address in
// `CF-Connecting-IP` on the request it hands the Worker; the Worker passes exactly that on, and Confab reads it
// (Confab:RateLimits:ClientIpHeader, set in container-env.js).

/** The header the Worker sets, and the one Confab is told to read. */
export const CLIENT_IP_HEADER = "CF-Connecting-IP";

// @cloudflare/containers' Container.fetch sends a request to whatever container port this header names (its
// switchPort helper sets it). Only the Worker chooses ports: a visitor's value never reaches the Durable Object.
const TARGET_PORT_HEADER = "cf-container-target-port";

/**
 * The visitor's address as the edge reported it on the incoming request, or undefined when there is none or it is not
 * one IP address (a value that is not an address is never passed on as one).
 */
export function edgeClientIp(request) {
  const value = request.headers.get(CLIENT_IP_HEADER)?.trim();
  return value && isIpAddress(value) ? value : undefined;
}

/**
 * The request to hand the container: the same method, URL, body and headers (Upgrade included), except that
 * `CF-Connecting-IP` is whatever `clientIp` says, and absent when it says nothing, and that no
 * `cf-container-target-port` passes. Whatever the incoming request carried in those headers is dropped first, so
 * only the Worker's value reaches the container.
 */
export function forContainer(request, clientIp) {
  const headers = new Headers(request.headers);
  headers.delete(CLIENT_IP_HEADER);
  headers.delete(TARGET_PORT_HEADER);
  if (clientIp) {
    headers.set(CLIENT_IP_HEADER, clientIp);
  }
  // As @cloudflare/containers' own switchPort does: a Request built from the request keeps its method, body and
  // signal, and the Durable Object's fetch still relays a WebSocket upgrade.
  return new Request(request, { headers });
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function isIpAddress(value) {
  if (value.length > 45) {
    return false; // the longest IPv6 text form
  }
  if (IPV4.test(value)) {
    return true;
  }
  if (!value.includes(":") || !/^[0-9A-Fa-f:.]+$/.test(value)) {
    return false;
  }
  try {
    new URL(`http://[${value}]/`); // the URL parser validates IPv6 literals, in workerd as in Node
    return true;
  } catch {
    return false;
  }
}
