-- Team chat (as db/migrations/0005_team_chat.sql): membership and roles, private rooms and direct messages,
-- moderation, read markers and mentions.

-- public: anyone signed in may read and join; private: members only; direct: a two-person room (see direct_key).
ALTER TABLE rooms ADD COLUMN visibility text NOT NULL DEFAULT 'public';
-- Each member may post once per this many seconds (0: no slow mode); owners and admins are exempt.
ALTER TABLE rooms ADD COLUMN slow_mode_seconds bigint NOT NULL DEFAULT 0;
-- A direct room's two user ids, smaller first ("3:7"): the same pair always finds the same room.
ALTER TABLE rooms ADD COLUMN direct_key text;
CREATE UNIQUE INDEX rooms_direct_key ON rooms (direct_key) WHERE direct_key IS NOT NULL;

-- Set when a server admin deactivates the user: their tokens and sessions stop working.
ALTER TABLE users ADD COLUMN deactivated_at text;

-- The user ids a message mentions, as a JSON array ("[3,5]"), null when none: read with the message.
ALTER TABLE messages ADD COLUMN mentions text;

-- SQLite's json_each over an array of integers, as ChatStore uses it (SELECT j.value FROM json_each(?) AS j). For
-- an untyped or text argument this is chosen over PostgreSQL's own json_each(json).
CREATE FUNCTION json_each(document text) RETURNS TABLE (value bigint) LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
    $$SELECT element::bigint FROM json_array_elements_text(document::json) AS element$$;

CREATE TABLE room_members (
    room_id       bigint NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- owner, admin or member
    role          text NOT NULL,
    -- The read marker: the member has seen the room up to this seq. It only moves forward.
    last_read_seq bigint NOT NULL DEFAULT 0,
    -- Posts are refused until then (a mute); null when not muted.
    muted_until   text,
    inserted_at   text NOT NULL,
    PRIMARY KEY (room_id, user_id)
);

-- A user's rooms: the sidebar, GET /api/rooms.
CREATE INDEX room_members_user_id ON room_members (user_id, room_id);

CREATE TRIGGER room_members_inserted AFTER INSERT ON room_members REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION confab_count_changes();
CREATE TRIGGER room_members_updated AFTER UPDATE ON room_members REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION confab_count_changes();
CREATE TRIGGER room_members_deleted AFTER DELETE ON room_members REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION confab_count_changes();

-- Banned from a room: removed, and cannot join again (even a public room) until the ban is lifted.
CREATE TABLE room_bans (
    room_id     bigint NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    banned_by   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    inserted_at text NOT NULL,
    PRIMARY KEY (room_id, user_id)
);

-- Who each message mentions, for mention counts: a user's mentions in a room after their read marker.
CREATE TABLE message_mentions (
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    room_id    bigint NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq        bigint NOT NULL,
    message_id bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, room_id, seq)
);

CREATE INDEX message_mentions_message_id ON message_mentions (message_id);

-- Room events about members and the room itself have no message, and name the member an event is about (subject_id)
-- and a detail (the role given; the slow mode's seconds).
ALTER TABLE room_events ALTER COLUMN message_id DROP NOT NULL;
-- the member added, changed or removed
ALTER TABLE room_events ADD COLUMN subject_id bigint REFERENCES users (id) ON DELETE CASCADE;
-- member_added, member_updated: the role; room_updated: the slow mode's seconds
ALTER TABLE room_events ADD COLUMN detail text;
