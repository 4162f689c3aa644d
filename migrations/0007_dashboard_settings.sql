-- Dashboard layouts, the server URL in settings, and branding (issues 4 and 8; owned by
-- pkg/dashboard and pkg/settings).
--
--   settings.server_*       the URL agents reach the server at, set from the Settings page.
--                           NULL until an administrator saves it: the environment
--                           (SERVER_PROTOCOL, SERVER_HOST, SERVER_PORT) applies until then.
--                           server_url is the three composed, so readers need not.
--   branding_assets         uploaded dark/light logos and favicon, served at stable URLs. No
--                           row means the built-in default.
--   dashboard_preferences   one row per user and dashboard card: shown or not, and where.
--                           A user without rows sees the default layout.

ALTER TABLE settings
    ADD COLUMN server_protocol text CHECK (server_protocol IN ('http', 'https')),
    ADD COLUMN server_host     text CHECK (btrim(server_host) <> ''),
    ADD COLUMN server_port     integer CHECK (server_port BETWEEN 1 AND 65535),
    ADD COLUMN server_url      text;

CREATE TABLE branding_assets (
    kind         text PRIMARY KEY CHECK (kind IN ('logo_dark', 'logo_light', 'favicon')),
    content_type text NOT NULL,
    data         bytea NOT NULL,
    sha256       text NOT NULL,
    file_name    text NOT NULL DEFAULT '',
    updated_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dashboard_preferences (
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    card_id    text NOT NULL,
    enabled    boolean NOT NULL,
    position   integer NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, card_id)
);

-- The dashboard's recent-activity list reads the newest reports of the whole fleet.
CREATE INDEX update_history_created_idx ON update_history (created_at DESC);
