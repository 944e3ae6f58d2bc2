-- Confab's schema, in SQLite's dialect (which is D1's). Applied by Confab's runner to SQLite files and by
-- `wrangler d1 migrations apply` to D1; both record it in d1_migrations.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL COLLATE NOCASE UNIQUE,
    email         TEXT NOT NULL COLLATE NOCASE UNIQUE,
    password_hash TEXT NOT NULL,
    inserted_at   TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE rooms (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    slug        TEXT NOT NULL UNIQUE,
    inserted_at TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE messages (
    id          INTEGER PRIMARY KEY,
    room_id     INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- 1, 2, 3... per room, assigned at commit; clients resume with last_seq.
    seq         INTEGER NOT NULL,
    content     TEXT NOT NULL,
    -- The sender's idempotency key: a retry with the same key returns the original message.
    client_id   TEXT,
    inserted_at TEXT NOT NULL,
    -- Its index also serves history: WHERE room_id = ? AND seq < ? ORDER BY seq.
    UNIQUE (room_id, seq)
);

CREATE UNIQUE INDEX messages_user_id_client_id ON messages (user_id, client_id) WHERE client_id IS NOT NULL;
CREATE INDEX messages_user_id ON messages (user_id);
