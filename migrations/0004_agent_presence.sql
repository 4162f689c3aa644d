-- Agent WebSocket presence (issue 6, pkg/agenthub).
--
-- Tables (owned by pkg/agenthub):
--   agent_presence       one row per host that has ever held an agent WebSocket: whether it is
--                        connected now, on which server replica and by which connection, when it
--                        last connected and disconnected and why. The replica that holds a
--                        connection writes it; another replica marks it offline when the holder
--                        stops renewing its liveness key (a crashed replica leaves no ghosts).
--   agent_status_events  the history of online/offline transitions, for the host timeline and
--                        for alerting; pruned by the hub after its retention period.

CREATE TABLE agent_presence (
    host_id           uuid PRIMARY KEY REFERENCES hosts (id) ON DELETE CASCADE,
    status            text NOT NULL CHECK (status IN ('online', 'offline')),
    -- The replica (server process) holding the connection, and the connection itself: an
    -- offline write only applies to the connection it is about, so a late disconnect of an
    -- old connection cannot mark a reconnected host offline.
    replica_id        text NOT NULL,
    connection_id     text NOT NULL,
    connected_at      timestamptz NOT NULL,
    disconnected_at   timestamptz,
    disconnect_reason text NOT NULL DEFAULT '',
    -- Whether the agent reached the server over TLS (directly or via a proxy that said so).
    secure            boolean NOT NULL DEFAULT false,
    remote_addr       text NOT NULL DEFAULT '',
    user_agent        text NOT NULL DEFAULT '',
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agent_presence_online_idx ON agent_presence (replica_id) WHERE status = 'online';

CREATE TABLE agent_status_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host_id     uuid NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    status      text NOT NULL CHECK (status IN ('online', 'offline')),
    -- connected, closed, idle_timeout, replaced, server_shutdown, replica_lost, revoked, error
    reason      text NOT NULL DEFAULT '',
    replica_id  text NOT NULL,
    occurred_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agent_status_events_host_idx ON agent_status_events (host_id, occurred_at DESC);
CREATE INDEX agent_status_events_time_idx ON agent_status_events (occurred_at);
