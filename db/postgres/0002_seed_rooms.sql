-- The rooms every new Confab starts with (as db/migrations/0002_seed_rooms.sql).
INSERT INTO rooms (name, description, slug, inserted_at, updated_at)
SELECT name, description, slug, now_text, now_text
FROM (VALUES
    ('General', 'Anything and everything.', 'general'),
    ('Tech Talk', 'Code, tools and the craft of building things.', 'tech-talk'),
    ('Random', 'Off-topic, links and fun.', 'random')) AS seed (name, description, slug),
    (SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS now_text) AS clock
ON CONFLICT (slug) DO NOTHING;
