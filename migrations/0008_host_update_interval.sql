-- A host's own agent update interval (issue 6, pkg/inventory): NULL follows the server's
-- agent_update_interval; a value overrides it for that host, within the same bounds.
ALTER TABLE hosts ADD COLUMN update_interval integer
    CHECK (update_interval IS NULL OR update_interval BETWEEN 5 AND 1440);
