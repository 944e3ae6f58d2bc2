-- Room events (docs/protocol.md): every change to a room is an event with the room's next seq. A message's seq is
-- the seq of the event that posted it; edits, deletes and reactions are rows of room_events with seqs of their own,
-- in the same sequence. room_events holds no message text: a deleted message's text is gone from the database.

ALTER TABLE messages ADD COLUMN edited_at TEXT;
-- Set when deleted; content is then '' (a tombstone that keeps the message's place and seq).
ALTER TABLE messages ADD COLUMN deleted_at TEXT;
-- The message this one replies to (same room).
ALTER TABLE messages ADD COLUMN reply_to_id INTEGER REFERENCES messages (id) ON DELETE SET NULL;

-- Read in id order: the order people reacted in, which orders a message's emoji by first use.
CREATE TABLE reactions (
    id          INTEGER PRIMARY KEY,
    message_id  INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    emoji       TEXT NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    inserted_at TEXT NOT NULL,
    UNIQUE (message_id, emoji, user_id)
);

CREATE TABLE room_events (
    room_id     INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    -- message_updated, message_deleted, reaction_added, reaction_removed
    event       TEXT NOT NULL,
    message_id  INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    -- who did it
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- the reaction's emoji; null for other events
    emoji       TEXT,
    inserted_at TEXT NOT NULL,
    PRIMARY KEY (room_id, seq)
) WITHOUT ROWID;
