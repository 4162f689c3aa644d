-- Auto-enrollment and API tokens (issue 7, owned by pkg/enrollment).
--
--   auto_enrollment_tokens  one row per credential: auto-enrollment tokens (proxmox-lxc,
--                           direct-host) and Basic-auth integration credentials (api,
--                           gethomepage). The key (patchmon_ae_…) is stored in clear, the
--                           secret only as a bcrypt hash. hosts_created_today counts the
--                           hosts created on last_reset_date (UTC); a request on a later day
--                           starts the count again. scopes (api tokens only) is a JSON object
--                           resource → array of actions, e.g. {"host": ["get"]}.
--   auto_enrollment_hosts   which token enrolled which host, with the machine_id and metadata
--                           the enrolling client sent: the audit trail, and the server-side
--                           duplicate check (one host per machine_id and token).

CREATE TABLE auto_enrollment_tokens (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    token_name            text NOT NULL CHECK (btrim(token_name) <> '' AND char_length(token_name) <= 255),
    token_key             text NOT NULL CONSTRAINT auto_enrollment_tokens_key_key UNIQUE
                              CHECK (token_key LIKE 'patchmon\_ae\_%'),
    token_secret_hash     text NOT NULL,
    is_active             boolean NOT NULL DEFAULT true,
    integration_type      text NOT NULL DEFAULT 'proxmox-lxc'
                              CHECK (integration_type IN ('proxmox-lxc', 'direct-host', 'api', 'gethomepage')),
    metadata              jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    scopes                jsonb CHECK (scopes IS NULL OR jsonb_typeof(scopes) = 'object'),
    allowed_ip_ranges     text[] NOT NULL DEFAULT '{}',
    max_hosts_per_day     integer NOT NULL DEFAULT 100 CHECK (max_hosts_per_day BETWEEN 1 AND 1000),
    hosts_created_today   integer NOT NULL DEFAULT 0 CHECK (hosts_created_today >= 0),
    last_reset_date       date NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')::date,
    default_host_group_id uuid REFERENCES host_groups (id) ON DELETE SET NULL,
    created_by_user_id    uuid REFERENCES users (id) ON DELETE SET NULL,
    expires_at            timestamptz,
    last_used_at          timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX auto_enrollment_tokens_created_idx ON auto_enrollment_tokens (created_at DESC);

CREATE TABLE auto_enrollment_hosts (
    host_id    uuid PRIMARY KEY REFERENCES hosts (id) ON DELETE CASCADE,
    token_id   uuid REFERENCES auto_enrollment_tokens (id) ON DELETE SET NULL,
    token_name text NOT NULL,
    machine_id text CHECK (machine_id IS NULL OR char_length(machine_id) <= 255),
    metadata   jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX auto_enrollment_hosts_machine_idx
    ON auto_enrollment_hosts (token_id, machine_id) WHERE machine_id IS NOT NULL;
