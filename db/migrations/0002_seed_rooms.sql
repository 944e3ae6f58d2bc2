-- The rooms every new Confab starts with. A migration runs once per database, on SQLite and D1 alike;
-- INSERT OR IGNORE keeps it harmless where a room with the slug already exists.
INSERT OR IGNORE INTO rooms (name, description, slug, inserted_at, updated_at) VALUES
    ('General', 'Anything and everything.', 'general', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    ('Tech Talk', 'Code, tools and the craft of building things.', 'tech-talk', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    ('Random', 'Off-topic, links and fun.', 'random', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
