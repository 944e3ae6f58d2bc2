-- Empties what tests write to the run's shared local D1, keeping the schema and the three seeded rooms, so that each
-- test starts as on a fresh database (ids start again at 1, as INTEGER PRIMARY KEY reuses max + 1).
-- Statements end with a semicolon at the end of a line. Read by tests/Confab.Tests (LocalD1) and tests/clients (support/server.mjs).
DELETE FROM room_events;
DELETE FROM reactions;
DELETE FROM messages;
DELETE FROM users;
DELETE FROM rooms WHERE slug NOT IN ('general', 'tech-talk', 'random');
DELETE FROM data_protection_keys;
-- The seeded rooms as they were seeded (a test may have set slow mode on one).
UPDATE rooms SET slow_mode_seconds = 0;
