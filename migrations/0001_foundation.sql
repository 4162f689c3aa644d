-- Foundation: server-wide settings and the instance identity.

CREATE EXTENSION IF NOT EXISTS pgcrypto;

-- One row of server settings that administrators change at run time (the environment
-- holds deployment settings; this table holds product settings).
CREATE TABLE settings (
    id          integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    instance_id uuid NOT NULL DEFAULT gen_random_uuid(),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO settings (id) VALUES (1);
