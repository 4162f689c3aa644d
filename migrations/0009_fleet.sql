-- Fleet views (issues 4 and 8, owned by pkg/inventory): the dashboard's package,
-- repository and host-group pages.
--
-- host_packages_outdated_idx lists, per package, the hosts with an update and whether it
-- is a security update. It is partial, so it holds only the rows that need an update (a
-- small share of the table) and costs ingest little, and it lets the package list filter
-- on "has an update somewhere", count outdated and security hosts per package, and sort
-- by those counts without reading every host_packages row.

CREATE INDEX host_packages_outdated_idx ON host_packages (package_id, is_security_update)
    WHERE needs_update;
