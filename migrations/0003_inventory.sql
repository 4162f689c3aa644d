-- Hosts, host groups, packages, repositories and reports (issue 4).
--
-- Tables (owned by pkg/inventory; the user-facing API reads them too):
--   hosts                   one row per enrolled machine: credentials (api_id, bcrypt api_key_hash,
--                           credentials_generation bumped on regeneration), status pending/active/
--                           offline, every field of the agent report, per-section protocol hashes,
--                           denormalised package counters, integration switches and the admin's
--                           settings (notes, auto-update, host-down alerts).
--   host_groups             named, coloured groups; host_group_memberships is the many-to-many link.
--   packages                the fleet's package catalogue, one row per package name (shared by
--                           every host; written only with INSERT .. ON CONFLICT DO NOTHING in name
--                           order and metadata updates in name order, so ingest never deadlocks).
--   host_packages           what one host has installed: versions, needs-update and security flags,
--                           source repository, Windows Update fields. Written diff-based.
--   repositories            the fleet's repository catalogue, unique on (url, distribution,
--                           components); host_repositories links hosts to them.
--   update_history          one row per accepted report (full / partial) and per check-in that found
--                           stale sections (ping), with counts, payload size, timings and status.
--   host_integration_status the last setup state an agent reported per integration (docker,
--                           compliance).
--   fleet_stats_snapshots   periodic fleet-wide counters for the dashboard's trend charts.
-- Columns added to settings: the agent update interval, global agent auto-update and the
-- ignore-self-signed-certificate switch used by served scripts.

ALTER TABLE settings
    ADD COLUMN agent_update_interval integer NOT NULL DEFAULT 60
        CHECK (agent_update_interval BETWEEN 5 AND 1440),
    ADD COLUMN agent_auto_update     boolean NOT NULL DEFAULT false,
    ADD COLUMN ignore_ssl_self_signed boolean NOT NULL DEFAULT false;

CREATE TABLE host_groups (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL CONSTRAINT host_groups_name_key UNIQUE CHECK (btrim(name) <> ''),
    description text NOT NULL DEFAULT '',
    color       text NOT NULL DEFAULT '#3B82F6',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE hosts (
    id                        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    friendly_name             text NOT NULL CHECK (btrim(friendly_name) <> ''),
    -- Credentials. api_key_hash is bcrypt; credentials_generation invalidates cached
    -- verifications when the key is regenerated.
    api_id                    text NOT NULL CONSTRAINT hosts_api_id_key UNIQUE
                                  CHECK (api_id LIKE 'patchmon\_%'),
    api_key_hash              text NOT NULL,
    credentials_generation    integer NOT NULL DEFAULT 1,
    status                    text NOT NULL DEFAULT 'pending'
                                  CHECK (status IN ('pending', 'active', 'offline')),
    -- Administrator settings.
    notes                     text NOT NULL DEFAULT '',
    auto_update               boolean NOT NULL DEFAULT true,
    host_down_alerts          boolean NOT NULL DEFAULT true,
    docker_enabled            boolean NOT NULL DEFAULT false,
    compliance_enabled        boolean NOT NULL DEFAULT false,
    compliance_mode           text NOT NULL DEFAULT 'on-demand'
                                  CHECK (compliance_mode IN ('disabled', 'on-demand', 'enabled')),
    compliance_openscap_enabled     boolean NOT NULL DEFAULT true,
    compliance_docker_bench_enabled boolean NOT NULL DEFAULT false,
    -- Report fields (NULL until the agent has sent them).
    machine_id                text,
    hostname                  text,
    ip                        text,
    os_type                   text,
    os_version                text,
    architecture              text,
    agent_version             text,
    kernel_version            text,
    installed_kernel_version  text,
    selinux_status            text,
    system_uptime             text,
    boot_time                 timestamptz,
    load_average              double precision[],
    cpu_model                 text,
    cpu_cores                 integer,
    ram_installed             double precision, -- GB
    swap_size                 double precision, -- GB
    disk_details              jsonb,            -- [{name, size, mountpoint}]
    gateway_ip                text,
    dns_servers               text[],
    network_interfaces        jsonb,            -- [{name, type, macAddress, mtu, status, linkSpeed, duplex, addresses[]}]
    needs_reboot              boolean NOT NULL DEFAULT false,
    reboot_reason             text,
    package_manager           text,
    execution_time            double precision, -- seconds the agent spent collecting
    agent_execution_ms        bigint,
    -- Canonical section hashes of what is stored (see spec/agent-protocol.md).
    packages_hash             text,
    repos_hash                text,
    interfaces_hash           text,
    hostname_hash             text,
    docker_hash               text,
    compliance_hash           text,
    -- Counters kept in step with host_packages / host_repositories by ingest.
    total_packages            integer NOT NULL DEFAULT 0,
    outdated_packages         integer NOT NULL DEFAULT 0,
    security_updates          integer NOT NULL DEFAULT 0,
    total_repos               integer NOT NULL DEFAULT 0,
    -- Times.
    last_checkin_at           timestamptz,  -- any authenticated ping or report
    last_report_at            timestamptz,  -- last accepted hosts/update
    last_full_report_at       timestamptz,  -- last accepted full report
    -- SHA-256 of the last accepted report body: a byte-identical body within the retry
    -- window is the agent retrying, and is answered without writing.
    last_report_digest        bytea,
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 70);
-- Every check-in rewrites the host row. Free space in each page (fillfactor) and no index
-- on the check-in columns keep those updates HOT: no index entries are written. So
-- last_checkin_at is deliberately unindexed; the offline sweep scans hosts instead.
CREATE INDEX hosts_status_idx ON hosts (status);
CREATE INDEX hosts_machine_id_idx ON hosts (machine_id);
CREATE INDEX hosts_friendly_name_idx ON hosts (lower(friendly_name));

CREATE TABLE host_group_memberships (
    host_id       uuid NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    host_group_id uuid NOT NULL REFERENCES host_groups (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (host_id, host_group_id)
);
CREATE INDEX host_group_memberships_group_idx ON host_group_memberships (host_group_id);

CREATE TABLE packages (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name           text NOT NULL CONSTRAINT packages_name_key UNIQUE,
    description    text NOT NULL DEFAULT '',
    category       text NOT NULL DEFAULT '',
    latest_version text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE host_packages (
    host_id             uuid NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    package_id          uuid NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    current_version     text NOT NULL,
    available_version   text NOT NULL DEFAULT '',
    needs_update        boolean NOT NULL DEFAULT false,
    is_security_update  boolean NOT NULL DEFAULT false,
    source_repository   text NOT NULL DEFAULT '',
    -- Windows Update entries only; empty for Linux packages.
    wua_guid            text NOT NULL DEFAULT '',
    wua_kb              text NOT NULL DEFAULT '',
    wua_severity        text NOT NULL DEFAULT '',
    wua_categories      text[],
    wua_support_url     text NOT NULL DEFAULT '',
    wua_revision_number integer NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL DEFAULT now(), -- first seen on this host
    updated_at          timestamptz NOT NULL DEFAULT now(), -- last changed
    PRIMARY KEY (host_id, package_id)
);
CREATE INDEX host_packages_package_idx ON host_packages (package_id);
CREATE INDEX host_packages_updates_idx ON host_packages (host_id) WHERE needs_update;

CREATE TABLE repositories (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name         text NOT NULL DEFAULT '',
    url          text NOT NULL,
    distribution text NOT NULL DEFAULT '',
    components   text NOT NULL DEFAULT '',
    repo_type    text NOT NULL DEFAULT '',
    is_secure    boolean NOT NULL DEFAULT false,
    is_active    boolean NOT NULL DEFAULT true,
    description  text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT repositories_key UNIQUE (url, distribution, components)
);

CREATE TABLE host_repositories (
    host_id       uuid NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    repository_id uuid NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    is_enabled    boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (host_id, repository_id)
);
CREATE INDEX host_repositories_repository_idx ON host_repositories (repository_id);

CREATE TABLE update_history (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    host_id            uuid NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    report_type        text NOT NULL CHECK (report_type IN ('full', 'partial', 'ping')),
    sections           text[] NOT NULL DEFAULT '{}', -- sections applied (partial) or requested (ping)
    total_packages     integer NOT NULL DEFAULT 0,
    packages_count     integer NOT NULL DEFAULT 0,   -- packages needing an update
    security_count     integer NOT NULL DEFAULT 0,   -- of which security updates
    changed_packages   integer NOT NULL DEFAULT 0,   -- host_packages rows inserted, updated or deleted
    payload_size_kb    double precision NOT NULL DEFAULT 0,
    execution_time     double precision,             -- agent collection time, seconds
    agent_execution_ms bigint,
    processing_ms      double precision,             -- server ingest time
    status             text NOT NULL DEFAULT 'success' CHECK (status IN ('success', 'error')),
    error_message      text,
    -- SHA-256 of the request body: a byte-identical body shortly after is an agent retry and
    -- is answered from this row without writing anything.
    body_digest        bytea,
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX update_history_host_idx ON update_history (host_id, created_at DESC);

CREATE TABLE host_integration_status (
    host_id        uuid NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    integration    text NOT NULL,
    enabled        boolean NOT NULL,
    status         text NOT NULL CHECK (status IN ('ready', 'installing', 'removing', 'error')),
    message        text NOT NULL DEFAULT '',
    components     jsonb,
    scanner_info   jsonb,
    install_events jsonb,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (host_id, integration)
);

CREATE TABLE fleet_stats_snapshots (
    id                          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    captured_at                 timestamptz NOT NULL DEFAULT now(),
    total_hosts                 integer NOT NULL,
    active_hosts                integer NOT NULL,
    pending_hosts               integer NOT NULL,
    offline_hosts               integer NOT NULL,
    hosts_needing_updates       integer NOT NULL,
    hosts_with_security_updates integer NOT NULL,
    hosts_needing_reboot        integer NOT NULL,
    total_packages              integer NOT NULL, -- distinct packages installed anywhere
    outdated_packages           integer NOT NULL, -- distinct packages with an update somewhere
    security_packages           integer NOT NULL, -- distinct packages with a security update somewhere
    outdated_installs           bigint NOT NULL,  -- host_packages rows needing an update
    security_installs           bigint NOT NULL,  -- host_packages rows with a security update
    os_distribution             jsonb NOT NULL DEFAULT '{}' -- {"Ubuntu 24.04": 12, ...}
);
CREATE INDEX fleet_stats_snapshots_captured_idx ON fleet_stats_snapshots (captured_at);
