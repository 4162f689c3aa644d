-- Background job history, alerts, version check and anonymous metrics (issue 9).
--
-- River's own tables (river_job, river_leader, river_queue, ...) are not created here: pkg/dbmigrate
-- applies River's migrations with River's migrator before these files, under the same advisory lock.
--
-- Tables:
--   job_history    one row per attempt of a background job (owned by pkg/jobs): name, River job id,
--                  attempt, status active/completed/failed, timings, error, and the host it was
--                  about when there is one. Kept for the job history pages after River prunes its
--                  own finished rows.
--   alert_config   one row per alert type (owned by pkg/alerts): enabled, default severity, delay
--                  before firing, threshold, auto-assign user, escalation after N minutes,
--                  retention days.
--   alerts         alerts (owned by pkg/alerts). At most one unresolved alert per host and type.
--   alert_history  every action on an alert: created, acknowledged, assigned, silenced,
--                  unsilenced, escalated, resolved, reopened, with the user when a person did it.
-- Columns added to settings: anonymous metrics switch and last report, and the versions found by
-- the DNS version check (kept when a later lookup fails).

CREATE TABLE job_history (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_name      text NOT NULL,
    river_job_id  bigint,
    attempt       integer NOT NULL DEFAULT 1,
    status        text NOT NULL CHECK (status IN ('active', 'completed', 'failed')),
    host_id       uuid REFERENCES hosts (id) ON DELETE CASCADE,
    trigger       text NOT NULL DEFAULT 'schedule' CHECK (trigger IN ('schedule', 'manual')),
    replica       text NOT NULL DEFAULT '',
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    duration_ms   bigint,
    error         text NOT NULL DEFAULT '',
    output        text NOT NULL DEFAULT ''
);
CREATE INDEX job_history_started_idx ON job_history (started_at DESC);
CREATE INDEX job_history_name_idx ON job_history (job_name, started_at DESC);
CREATE INDEX job_history_host_idx ON job_history (host_id, started_at DESC) WHERE host_id IS NOT NULL;

CREATE TABLE alert_config (
    alert_type             text PRIMARY KEY,
    enabled                boolean NOT NULL DEFAULT true,
    default_severity       text NOT NULL CHECK (default_severity IN ('informational', 'warning', 'error', 'critical')),
    delay_minutes          integer NOT NULL DEFAULT 0 CHECK (delay_minutes BETWEEN 0 AND 10080),
    threshold              integer NOT NULL DEFAULT 1 CHECK (threshold >= 1),
    auto_assign_user_id    uuid REFERENCES users (id) ON DELETE SET NULL,
    escalate_after_minutes integer CHECK (escalate_after_minutes IS NULL OR escalate_after_minutes BETWEEN 1 AND 100000),
    retention_days         integer NOT NULL DEFAULT 30 CHECK (retention_days BETWEEN 1 AND 3650),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
INSERT INTO alert_config (alert_type, default_severity, delay_minutes, escalate_after_minutes) VALUES
    ('host_down',        'critical',      5,    60),
    ('host_recovered',   'informational', 0,    NULL),
    ('security_updates', 'warning',       0,    NULL),
    ('reboot_required',  'warning',       0,    NULL),
    ('agent_outdated',   'informational', 0,    NULL),
    ('server_update',    'informational', 0,    NULL),
    ('report_failed',    'error',         0,    NULL);

CREATE TABLE alerts (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    alert_type      text NOT NULL REFERENCES alert_config (alert_type),
    severity        text NOT NULL CHECK (severity IN ('informational', 'warning', 'error', 'critical')),
    status          text NOT NULL DEFAULT 'open'
                        CHECK (status IN ('open', 'acknowledged', 'silenced', 'resolved')),
    host_id         uuid REFERENCES hosts (id) ON DELETE CASCADE,
    title           text NOT NULL,
    message         text NOT NULL DEFAULT '',
    details         jsonb NOT NULL DEFAULT '{}',
    assigned_to     uuid REFERENCES users (id) ON DELETE SET NULL,
    silenced_until  timestamptz,
    escalation_level integer NOT NULL DEFAULT 0,
    escalated_at    timestamptz,
    acknowledged_by uuid REFERENCES users (id) ON DELETE SET NULL,
    acknowledged_at timestamptz,
    resolved_by     uuid REFERENCES users (id) ON DELETE SET NULL,
    resolved_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
-- De-duplication: one unresolved alert per host (or per server, for host-less types) and type.
CREATE UNIQUE INDEX alerts_open_key ON alerts (alert_type, COALESCE(host_id, '00000000-0000-0000-0000-000000000000'::uuid))
    WHERE status <> 'resolved';
CREATE INDEX alerts_created_idx ON alerts (created_at DESC);
CREATE INDEX alerts_host_idx ON alerts (host_id) WHERE host_id IS NOT NULL;
CREATE INDEX alerts_resolved_idx ON alerts (resolved_at) WHERE status = 'resolved';

CREATE TABLE alert_history (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id   uuid NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    action     text NOT NULL,
    user_id    uuid REFERENCES users (id) ON DELETE SET NULL,
    username   text NOT NULL DEFAULT '',
    note       text NOT NULL DEFAULT '',
    details    jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_history_alert_idx ON alert_history (alert_id, id);

ALTER TABLE settings
    ADD COLUMN metrics_enabled        boolean NOT NULL DEFAULT false,
    ADD COLUMN metrics_last_sent_at   timestamptz,
    ADD COLUMN metrics_last_error     text NOT NULL DEFAULT '',
    ADD COLUMN latest_server_version  text NOT NULL DEFAULT '',
    ADD COLUMN latest_agent_version   text NOT NULL DEFAULT '',
    ADD COLUMN version_checked_at     timestamptz,
    ADD COLUMN version_check_error    text NOT NULL DEFAULT '';
