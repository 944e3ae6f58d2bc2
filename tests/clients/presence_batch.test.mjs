// Presence diffs are merged per room over a short interval on the server; the official client's Presence must still
// end exact when many sockets join and leave at once, for a member that was there before the storm and for one that
// joined in the middle of it.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { Presence } from "phoenix";
import { startServer, newUser } from "./support/server.mjs";
import { connect, disconnectAll, reply, eventually } from "./support/phoenix.mjs";

let server;
const users = [];

before(async () => {
  server = await startServer();
  for (const name of ["pat", "quinn", "riley", "sam", "taylor"]) users.push(await newUser(server, name));
});
after(async () => server?.close());
afterEach(() => disconnectAll());

function member(user) {
  const socket = connect(server, { token: user.token });
  const channel = socket.channel("room:random", {});
  const presence = new Presence(channel);
  return { socket, channel, presence, joined: reply(channel.join()) };
}

const counts = (presence) =>
  Object.fromEntries(presence.list((id, { metas }) => [id, metas.length]).sort(([a], [b]) => a.localeCompare(b)));

test("presence: a storm of joins and leaves ends exact for members present before and during it", async () => {
  const [watcher, ...others] = users;
  const early = member(watcher);
  await early.joined;

  // Every other user joins from three sockets at once; one of each user's sockets leaves as soon as it is in,
  // and a second watcher joins while this goes on.
  const storm = others.flatMap((user) => [member(user), member(user), member(user)]);
  const leavers = storm.filter((_, i) => i % 3 === 0);
  const leaving = leavers.map(async (m) => {
    await m.joined;
    m.socket.disconnect();
  });
  const late = member(watcher);
  await Promise.all([late.joined, ...storm.map((m) => m.joined), ...leaving]);

  const expected = Object.fromEntries(
    [[String(watcher.id), 2], ...others.map((u) => [String(u.id), 2])].sort(([a], [b]) => a.localeCompare(b)),
  );
  for (const [name, m] of [["early watcher", early], ["late watcher", late]]) {
    await eventually(() => JSON.stringify(counts(m.presence)) === JSON.stringify(expected), 5000, `${name} to see the final state`);
    assert.deepEqual(counts(m.presence), expected);
    const refs = Object.values(m.presence.state).flatMap(({ metas }) => metas.map((meta) => meta.phx_ref));
    assert.equal(new Set(refs).size, refs.length, `${name}: every meta once`);
  }

  // After everyone but the early watcher leaves, it sees only itself.
  for (const m of [late, ...storm]) m.socket.disconnect();
  await eventually(() => JSON.stringify(counts(early.presence)) === JSON.stringify({ [String(watcher.id)]: 1 }), 5000, "only the watcher left");
});
