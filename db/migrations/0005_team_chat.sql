-- Team chat (docs/protocol.md, "Rooms and members"): who belongs to a room and in what role, private rooms and direct
-- messages, moderation (mutes, bans, slow mode, deactivated users), read markers and mentions.

-- public: anyone signed in may read and join; private: members only; direct: a two-person room (see direct_key).
ALTER TABLE rooms ADD COLUMN visibility TEXT NOT NULL DEFAULT 'public';
-- Each member may post once per this many seconds (0: no slow mode); owners and admins are exempt.
ALTER TABLE rooms ADD COLUMN slow_mode_seconds INTEGER NOT NULL DEFAULT 0;
-- A direct room's two user ids, smaller first ("3:7"): the same pair always finds the same room.
ALTER TABLE rooms ADD COLUMN direct_key TEXT;
CREATE UNIQUE INDEX rooms_direct_key ON rooms (direct_key) WHERE direct_key IS NOT NULL;

-- Set when a server admin deactivates the user: their tokens and sessions stop working.
ALTER TABLE users ADD COLUMN deactivated_at TEXT;

-- The user ids a message mentions, as a JSON array ("[3,5]"), null when none: read with the message.
ALTER TABLE messages ADD COLUMN mentions TEXT;

CREATE TABLE room_members (
    room_id       INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- owner, admin or member
    role          TEXT NOT NULL,
    -- The read marker: the member has seen the room up to this seq. It only moves forward.
    last_read_seq INTEGER NOT NULL DEFAULT 0,
    -- Posts are refused until then (a mute); null when not muted.
    muted_until   TEXT,
    inserted_at   TEXT NOT NULL,
    PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;

-- A user's rooms: the sidebar, GET /api/rooms.
CREATE INDEX room_members_user_id ON room_members (user_id, room_id);

-- Banned from a room: removed, and cannot join again (even a public room) until the ban is lifted.
CREATE TABLE room_bans (
    room_id     INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    banned_by   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    inserted_at TEXT NOT NULL,
    PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;

-- Who each message mentions, for mention counts: a user's mentions in a room after their read marker.
CREATE TABLE message_mentions (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    room_id    INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, room_id, seq)
) WITHOUT ROWID;

CREATE INDEX message_mentions_message_id ON message_mentions (message_id);

-- Room events about members and the room itself have no message: room_events is rebuilt with message_id optional and
-- the member an event is about (subject_id) and a detail (the role given; the slow mode's seconds).
CREATE TABLE room_events_new (
    room_id     INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    -- message_updated, message_deleted, reaction_added, reaction_removed, member_added, member_updated,
    -- member_removed, room_updated
    event       TEXT NOT NULL,
    message_id  INTEGER REFERENCES messages (id) ON DELETE CASCADE,
    -- who did it
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- the reaction's emoji; null for other events
    emoji       TEXT,
    -- the member added, changed or removed
    subject_id  INTEGER REFERENCES users (id) ON DELETE CASCADE,
    -- member_added, member_updated: the role; room_updated: the slow mode's seconds
    detail      TEXT,
    inserted_at TEXT NOT NULL,
    PRIMARY KEY (room_id, seq)
) WITHOUT ROWID;

INSERT INTO room_events_new (room_id, seq, event, message_id, user_id, emoji, inserted_at)
    SELECT room_id, seq, event, message_id, user_id, emoji, inserted_at FROM room_events;
DROP TABLE room_events;
ALTER TABLE room_events_new RENAME TO room_events;
