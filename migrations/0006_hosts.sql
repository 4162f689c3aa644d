-- Host management in the dashboard (issues 4 and 8, pkg/inventory).
--
-- Indexes for the host list's search, filters and sorts. The list is served from the
-- hosts row alone (its package counters are denormalised), so at fleet sizes of tens of
-- thousands a filtered, sorted page is an index or a small in-memory sort away.
-- last_checkin_at stays unindexed on purpose (see 0003): every check-in rewrites it, and
-- an index on it would make those updates non-HOT. Sorting by it is a top-N heap sort
-- over the filtered rows, which is cheap at these sizes. The other indexed columns change
-- only when a report changes them, so check-ins stay HOT.
--
-- Tables (owned by pkg/inventory):
--   host_list_views   a user's saved views of the host list: a name and the list state
--                     (search, filters, sort, columns, grouping) as the dashboard stores it.
CREATE INDEX hosts_hostname_idx ON hosts (lower(hostname));
CREATE INDEX hosts_ip_idx ON hosts (ip);
CREATE INDEX hosts_os_idx ON hosts (os_type, os_version);
CREATE INDEX hosts_outdated_idx ON hosts (outdated_packages) WHERE outdated_packages > 0;
CREATE INDEX hosts_security_idx ON hosts (security_updates) WHERE security_updates > 0;
CREATE INDEX hosts_reboot_idx ON hosts (id) WHERE needs_reboot;
-- Security updates first, then updates, then name: the host's package tab.
CREATE INDEX host_packages_security_idx ON host_packages (host_id) WHERE is_security_update;

CREATE TABLE host_list_views (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 100),
    state      jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT host_list_views_name_key UNIQUE (user_id, name)
);
