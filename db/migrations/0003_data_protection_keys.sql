-- ASP.NET Core Data Protection keys (they protect auth cookies), kept in the database so that cookies survive
-- restarts and are valid on every node.
CREATE TABLE data_protection_keys (
    id            INTEGER PRIMARY KEY,
    friendly_name TEXT NOT NULL UNIQUE,
    xml           TEXT NOT NULL
);
