-- Notification destinations, routes and deliveries, and scheduled reports (issue 9,
-- owned by pkg/notify and pkg/reports).
--
--   notification_destinations   where notifications go: webhook, email (SMTP), ntfy, gotify,
--                               slack, discord, teams. config holds the non-secret settings
--                               (JSON object); secrets holds the secret ones (passwords,
--                               tokens, signing secrets, webhook URLs with embedded tokens)
--                               as one pkg/secretbox sealed JSON object, never in clear.
--   notification_routes         which events go where: event types (empty = all), a minimum
--                               severity and an optional host filter (host groups or hosts;
--                               both empty = every host and events without a host).
--   notification_route_destinations  the destinations of a route.
--   notification_deliveries     one message to one destination: the queue (status pending,
--                               next_attempt_at) and the delivery log. Workers claim due rows
--                               with FOR UPDATE SKIP LOCKED, so several replicas may deliver.
--   notification_delivery_attempts   one row per attempt: outcome, response code, error,
--                               duration.
--   report_schedules            cron-style fleet patch-status reports sent to destinations;
--                               next_run_at is claimed with FOR UPDATE SKIP LOCKED.
--   report_runs                 run history: trigger, status, error, size.

CREATE TABLE notification_destinations (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL CONSTRAINT notification_destinations_name_key UNIQUE
                    CHECK (btrim(name) <> '' AND char_length(name) <= 100),
    type        text NOT NULL
                    CHECK (type IN ('webhook', 'email', 'ntfy', 'gotify', 'slack', 'discord', 'teams')),
    enabled     boolean NOT NULL DEFAULT true,
    config      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(config) = 'object'),
    secrets     text NOT NULL DEFAULT '',
    created_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notification_routes (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name           text NOT NULL CHECK (btrim(name) <> '' AND char_length(name) <= 100),
    enabled        boolean NOT NULL DEFAULT true,
    event_types    text[] NOT NULL DEFAULT '{}',
    min_severity   text NOT NULL DEFAULT 'informational'
                       CHECK (min_severity IN ('informational', 'warning', 'error', 'critical')),
    host_group_ids uuid[] NOT NULL DEFAULT '{}',
    host_ids       uuid[] NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notification_route_destinations (
    route_id       uuid NOT NULL REFERENCES notification_routes (id) ON DELETE CASCADE,
    destination_id uuid NOT NULL REFERENCES notification_destinations (id) ON DELETE CASCADE,
    PRIMARY KEY (route_id, destination_id)
);
CREATE INDEX notification_route_destinations_dest_idx ON notification_route_destinations (destination_id);

CREATE TABLE notification_deliveries (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    destination_id  uuid NOT NULL REFERENCES notification_destinations (id) ON DELETE CASCADE,
    route_id        uuid REFERENCES notification_routes (id) ON DELETE SET NULL,
    event_type      text NOT NULL,
    severity        text NOT NULL,
    title           text NOT NULL,
    -- The message (event, bodies, attachments) as pkg/notify's JSON form.
    message         jsonb NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    max_attempts    integer NOT NULL CHECK (max_attempts >= 1),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text NOT NULL DEFAULT '',
    response_code   integer,
    delivered_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_deliveries_due_idx ON notification_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notification_deliveries_created_idx ON notification_deliveries (created_at DESC);
CREATE INDEX notification_deliveries_dest_idx ON notification_deliveries (destination_id, created_at DESC);

CREATE TABLE notification_delivery_attempts (
    id            bigserial PRIMARY KEY,
    delivery_id   uuid NOT NULL REFERENCES notification_deliveries (id) ON DELETE CASCADE,
    attempt       integer NOT NULL,
    succeeded     boolean NOT NULL,
    response_code integer,
    error         text NOT NULL DEFAULT '',
    duration_ms   integer NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_delivery_attempts_delivery_idx ON notification_delivery_attempts (delivery_id, attempt);

CREATE TABLE report_schedules (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name            text NOT NULL CONSTRAINT report_schedules_name_key UNIQUE
                        CHECK (btrim(name) <> '' AND char_length(name) <= 100),
    enabled         boolean NOT NULL DEFAULT true,
    cron            text NOT NULL,
    timezone        text NOT NULL DEFAULT 'UTC',
    format          text NOT NULL DEFAULT 'html' CHECK (format IN ('csv', 'json', 'html')),
    top_packages    integer NOT NULL DEFAULT 10 CHECK (top_packages BETWEEN 0 AND 100),
    host_group_ids  uuid[] NOT NULL DEFAULT '{}',
    destination_ids uuid[] NOT NULL DEFAULT '{}',
    next_run_at     timestamptz,
    last_run_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX report_schedules_due_idx ON report_schedules (next_run_at) WHERE enabled;

CREATE TABLE report_runs (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq         bigint GENERATED ALWAYS AS IDENTITY, -- orders runs that started in the same instant
    schedule_id uuid NOT NULL REFERENCES report_schedules (id) ON DELETE CASCADE,
    trigger     text NOT NULL CHECK (trigger IN ('schedule', 'manual')),
    status      text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
    format      text NOT NULL,
    error       text NOT NULL DEFAULT '',
    size_bytes  integer NOT NULL DEFAULT 0,
    host_count  integer NOT NULL DEFAULT 0,
    deliveries  integer NOT NULL DEFAULT 0,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE INDEX report_runs_schedule_idx ON report_runs (schedule_id, seq DESC);
