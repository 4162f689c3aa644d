package inventory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Report ingest. Deadlock freedom rests on one rule: rows shared between hosts
// (packages, repositories) are only ever inserted with ON CONFLICT DO NOTHING and locked
// for update in one global order (byte order of their key, COLLATE "C"), packages
// before repositories, and always after the reporting host's own row. Per-host rows
// (host_packages, host_repositories) are guarded by the lock on the host row. So no two
// reports can wait for each other in a cycle; PostgreSQL's deadlock and serialization
// errors are still retried by db.Tx, and every step is safe to run again.
const (
	sqlLockHostForReport = `
SELECT h.status, h.last_report_digest, h.last_report_at > now() - $3::interval,
       h.total_packages, h.outdated_packages, h.security_updates, h.auto_update,
       (SELECT agent_auto_update FROM settings WHERE id = 1)
FROM hosts h WHERE h.id = $1 AND h.credentials_generation = $2
FOR UPDATE OF h`

	sqlHostPackages = `
SELECT package_id, current_version, available_version, needs_update, is_security_update,
       source_repository, wua_guid, wua_kb, wua_severity, wua_categories, wua_support_url,
       wua_revision_number
FROM host_packages WHERE host_id = $1`

	sqlInsertPackages = `
INSERT INTO packages (name, description, category, latest_version)
SELECT n, d, c, l FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(n, d, c, l)
ORDER BY n COLLATE "C"
ON CONFLICT (name) DO NOTHING`

	sqlPackagesByName = `
SELECT id, name, description, category, latest_version FROM packages WHERE name = ANY($1::text[])`

	sqlLockPackages = `
SELECT id, description, category, latest_version FROM packages WHERE id = ANY($1::uuid[])
ORDER BY name COLLATE "C" FOR NO KEY UPDATE`

	sqlUpdatePackages = `
UPDATE packages p SET description = u.d, category = u.c, latest_version = u.l, updated_at = now()
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS u(id, d, c, l)
WHERE p.id = u.id`

	sqlDeleteHostPackages = `DELETE FROM host_packages WHERE host_id = $1 AND package_id = ANY($2::uuid[])`

	// Per-host package columns, in the order of the unnest below and of hostPackageColumns.
	sqlUpdateHostPackages = `
UPDATE host_packages hp SET
    current_version = u.cv, available_version = u.av, needs_update = u.nu, is_security_update = u.sec,
    source_repository = u.src, wua_guid = u.wg, wua_kb = u.wk, wua_severity = u.ws,
    wua_categories = string_to_array(u.wc, E'\x1f'), wua_support_url = u.wu, wua_revision_number = u.wr,
    updated_at = now()
FROM unnest($2::uuid[], $3::text[], $4::text[], $5::bool[], $6::bool[], $7::text[], $8::text[],
            $9::text[], $10::text[], $11::text[], $12::text[], $13::int[])
     AS u(id, cv, av, nu, sec, src, wg, wk, ws, wc, wu, wr)
WHERE hp.host_id = $1 AND hp.package_id = u.id`

	sqlInsertHostPackages = `
INSERT INTO host_packages (host_id, package_id, current_version, available_version, needs_update,
    is_security_update, source_repository, wua_guid, wua_kb, wua_severity, wua_categories,
    wua_support_url, wua_revision_number)
SELECT $1, u.id, u.cv, u.av, u.nu, u.sec, u.src, u.wg, u.wk, u.ws, string_to_array(u.wc, E'\x1f'), u.wu, u.wr
FROM unnest($2::uuid[], $3::text[], $4::text[], $5::bool[], $6::bool[], $7::text[], $8::text[],
            $9::text[], $10::text[], $11::text[], $12::text[], $13::int[])
     AS u(id, cv, av, nu, sec, src, wg, wk, ws, wc, wu, wr)`

	sqlInsertRepositories = `
INSERT INTO repositories (name, url, distribution, components, repo_type, is_secure, description)
SELECT n, u, d, c, t, s, CASE WHEN t <> '' THEN t || ' repository for ' || d ELSE '' END
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bool[]) AS x(n, u, d, c, t, s)
ORDER BY u COLLATE "C", d COLLATE "C", c COLLATE "C"
ON CONFLICT (url, distribution, components) DO NOTHING`

	sqlRepositoriesByKey = `
SELECT r.id, r.url, r.distribution, r.components FROM repositories r
JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(u, d, c)
  ON r.url = k.u AND r.distribution = k.d AND r.components = k.c`

	sqlDeleteHostRepositories = `
DELETE FROM host_repositories WHERE host_id = $1 AND repository_id <> ALL($2::uuid[])`

	sqlUpsertHostRepositories = `
INSERT INTO host_repositories (host_id, repository_id, is_enabled)
SELECT $1, r, e FROM unnest($2::uuid[], $3::bool[]) AS x(r, e)
ON CONFLICT (host_id, repository_id) DO UPDATE SET is_enabled = EXCLUDED.is_enabled, updated_at = now()
WHERE host_repositories.is_enabled IS DISTINCT FROM EXCLUDED.is_enabled`

	// sqlUpdateHostReport writes the host row. A NULL parameter keeps the stored value,
	// which is how fields a partial report does not apply, and fields an agent left
	// empty, are ignored.
	sqlUpdateHostReport = `
UPDATE hosts SET
    status = 'active', last_checkin_at = now(), last_report_at = now(),
    last_full_report_at = CASE WHEN $2 THEN now() ELSE last_full_report_at END,
    last_report_digest = $3,
    machine_id = COALESCE($4, machine_id),
    os_type = COALESCE($5, os_type),
    os_version = COALESCE($6, os_version),
    ip = COALESCE($7, ip),
    architecture = COALESCE($8, architecture),
    agent_version = COALESCE($9, agent_version),
    kernel_version = COALESCE($10, kernel_version),
    installed_kernel_version = COALESCE($11, installed_kernel_version),
    selinux_status = COALESCE($12, selinux_status),
    system_uptime = COALESCE($13, system_uptime),
    boot_time = COALESCE($14, boot_time),
    load_average = COALESCE($15::float8[], load_average),
    cpu_model = COALESCE($16, cpu_model),
    cpu_cores = COALESCE($17, cpu_cores),
    ram_installed = COALESCE($18, ram_installed),
    swap_size = COALESCE($19, swap_size),
    disk_details = COALESCE($20::jsonb, disk_details),
    gateway_ip = COALESCE($21, gateway_ip),
    dns_servers = COALESCE($22::text[], dns_servers),
    network_interfaces = COALESCE($23::jsonb, network_interfaces),
    needs_reboot = COALESCE($24, needs_reboot),
    reboot_reason = CASE WHEN $24::bool IS NULL THEN reboot_reason
                         WHEN $24 THEN COALESCE($25, reboot_reason) ELSE NULL END,
    package_manager = COALESCE($26, package_manager),
    execution_time = COALESCE($27, execution_time),
    agent_execution_ms = COALESCE($28, agent_execution_ms),
    hostname = COALESCE($29, hostname),
    packages_hash = COALESCE($30, packages_hash),
    repos_hash = COALESCE($31, repos_hash),
    interfaces_hash = COALESCE($32, interfaces_hash),
    hostname_hash = COALESCE($33, hostname_hash),
    total_packages = COALESCE($34, total_packages),
    outdated_packages = COALESCE($35, outdated_packages),
    security_updates = COALESCE($36, security_updates),
    total_repos = COALESCE($37, total_repos)
WHERE id = $1`

	sqlInsertReportHistory = `
INSERT INTO update_history (host_id, report_type, sections, total_packages, packages_count,
    security_count, changed_packages, payload_size_kb, execution_time, agent_execution_ms,
    processing_ms, body_digest)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`

	sqlInsertErrorHistory = `
INSERT INTO update_history (host_id, report_type, sections, payload_size_kb, status, error_message)
SELECT id, $3, $4, $5, 'error', $6 FROM hosts WHERE id = $1 AND credentials_generation = $2`
)

// hostPackageColumns is the COPY column list, matching copyRow.
var hostPackageColumns = []string{"host_id", "package_id", "current_version", "available_version",
	"needs_update", "is_security_update", "source_repository", "wua_guid", "wua_kb", "wua_severity",
	"wua_categories", "wua_support_url", "wua_revision_number"}

// storedPackage is a host_packages row.
type storedPackage struct {
	id  pgID
	row pkgRow
}

// autoFlags are the auto-update switches read with the host lock.
type autoFlags struct{ host, server bool }

// ingestTx holds one attempt's state; a retried attempt starts from a fresh one.
type ingestTx struct {
	s    *Service
	tx   pgx.Tx
	a    Agent
	p    *preparedReport
	meta ReportMeta
	// catalogue is every catalogue row this transaction resolved or wrote, by name,
	// for the name cache once it has committed.
	catalogue map[string]*catalogueRow
}

func (s *Service) ingest(ctx context.Context, a Agent, p *preparedReport, meta ReportMeta, start time.Time) (IngestResult, autoFlags, error) {
	var (
		res   IngestResult
		flags autoFlags
	)
	var it *ingestTx
	attempt := func() error {
		return s.db.LongTx(ctx, func(tx pgx.Tx) error {
			it = &ingestTx{s: s, tx: tx, a: a, p: p, meta: meta}
			var err error
			res, flags, err = it.run(ctx, start)
			return err
		})
	}
	err := attempt()
	if err != nil && s.catalogue != nil && isForeignKeyViolation(err) {
		// A cached package id whose row was deleted since: forget them all and go again.
		s.catalogue.purge()
		err = attempt()
	}
	if err == nil && s.catalogue != nil && it.catalogue != nil {
		s.catalogue.add(it.catalogue)
	}
	if err != nil {
		if !errors.Is(err, ErrInvalidCredentials) && ctx.Err() == nil {
			s.recordFailure(ctx, a, p, meta, err)
		}
		return IngestResult{}, autoFlags{}, err
	}
	return res, flags, nil
}

func (it *ingestTx) run(ctx context.Context, start time.Time) (IngestResult, autoFlags, error) {
	var (
		status               string
		digest               []byte
		recent               *bool
		total, outdated, sec int
		flags                autoFlags
		res                  IngestResult
	)
	err := it.tx.QueryRow(ctx, sqlLockHostForReport, it.hostID(), it.a.Generation, it.s.cfg.RetryWindow).
		Scan(&status, &digest, &recent, &total, &outdated, &sec, &flags.host, &flags.server)
	if errors.Is(err, pgx.ErrNoRows) {
		return res, flags, ErrInvalidCredentials
	}
	if err != nil {
		return res, flags, err
	}
	p := it.p
	if it.meta.Digest != ([32]byte{}) && recent != nil && *recent && bytes.Equal(digest, it.meta.Digest[:]) {
		res = IngestResult{UpdatesAvailable: outdated, SecurityUpdates: sec, Retry: true}
		if p.hasPackages {
			res.PackagesProcessed = len(p.packages)
		}
		return res, flags, nil
	}
	res = IngestResult{UpdatesAvailable: outdated, SecurityUpdates: sec}
	if p.hasPackages {
		n, err := it.writePackages(ctx)
		if err != nil {
			return res, flags, fmt.Errorf("packages: %w", err)
		}
		res.Changed = n
		res.PackagesProcessed = len(p.packages)
		res.UpdatesAvailable, res.SecurityUpdates = p.updates, p.security
	}
	if p.hasRepos {
		if err := it.writeRepos(ctx); err != nil {
			return res, flags, fmt.Errorf("repositories: %w", err)
		}
	}
	if err := it.writeHost(ctx, start, res.Changed); err != nil {
		return res, flags, err
	}
	return res, flags, nil
}

// catalogueRow is a packages row as ingest needs it.
type catalogueRow struct {
	id                            pgID
	description, category, latest string
}

// writePackages diffs the report against the host's stored packages and writes the
// difference: shared package rows first (in name order), then the host's rows. Package
// ids are resolved by name through the unique index and the host's rows are read by
// host id alone: a join of the two lets the planner hash the whole catalogue, which
// grows with the fleet.
func (it *ingestTx) writePackages(ctx context.Context) (int, error) {
	names := make([]string, len(it.p.packages))
	for i := range it.p.packages {
		names[i] = it.p.packages[i].Name
	}
	catalogue := make(map[string]*catalogueRow, len(names))
	it.catalogue = catalogue
	lookup := names
	if it.s.catalogue != nil {
		lookup = it.s.catalogue.resolve(names, catalogue)
	}
	// The host's rows go into one slice (usually sized right by the report), indexed by
	// package id, instead of one allocation per row.
	storedRows := make([]storedPackage, 0, len(names))
	stored := make(map[pgID]int32, len(names))
	batch := &pgx.Batch{}
	if len(lookup) > 0 {
		batch.Queue(sqlPackagesByName, lookup).Query(func(rows pgx.Rows) error { return scanCatalogue(rows, catalogue) })
	}
	batch.Queue(sqlHostPackages, it.hostID()).Query(func(rows pgx.Rows) error {
		var sp storedPackage
		_, err := pgx.ForEachRow(rows, []any{&sp.id, &sp.row.CurrentVersion, &sp.row.AvailableVersion,
			&sp.row.NeedsUpdate, &sp.row.IsSecurityUpdate, &sp.row.SourceRepository, &sp.row.WUAGuid, &sp.row.WUAKb,
			&sp.row.WUASeverity, &sp.row.WUACategories, &sp.row.WUASupportURL, &sp.row.WUARevisionNumber}, func() error {
			stored[sp.id] = int32(len(storedRows))
			storedRows = append(storedRows, sp)
			sp.row.WUACategories = nil
			return nil
		})
		return err
	})
	if err := it.tx.SendBatch(ctx, batch).Close(); err != nil {
		return 0, err
	}

	// Names the catalogue does not know yet are inserted, in name order, then read back.
	var missing []*pkgRow
	for i := range it.p.packages {
		if catalogue[it.p.packages[i].Name] == nil {
			missing = append(missing, &it.p.packages[i])
		}
	}
	if len(missing) > 0 {
		n := len(missing)
		mNames, descs, cats, latest := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		for i, r := range missing {
			mNames[i], descs[i], cats[i], latest[i] = r.Name, r.Description, r.Category, r.newestVersion()
		}
		batch := &pgx.Batch{}
		batch.Queue(sqlInsertPackages, mNames, descs, cats, latest)
		batch.Queue(sqlPackagesByName, mNames).Query(func(rows pgx.Rows) error { return scanCatalogue(rows, catalogue) })
		if err := it.tx.SendBatch(ctx, batch).Close(); err != nil {
			return 0, err
		}
	}

	var (
		newRows  []*pkgRow // not yet on this host, in name order
		newIDs   []pgID
		changed  []*storedPackage
		metaRows []*pkgRow // candidates for a catalogue update, in name order
		metaIDs  []pgID
	)
	for i := range it.p.packages {
		r := &it.p.packages[i]
		cat := catalogue[r.Name]
		if cat == nil {
			// Only a concurrent deletion of catalogue rows can cause this; retrying the
			// transaction re-creates them.
			return 0, errPackageVanished
		}
		if catalogueUpdate(cat.description, cat.category, cat.latest, r) {
			metaRows = append(metaRows, r)
			metaIDs = append(metaIDs, cat.id)
		}
		idx, ok := stored[cat.id]
		if !ok {
			newRows = append(newRows, r)
			newIDs = append(newIDs, cat.id)
			continue
		}
		delete(stored, cat.id)
		if cur := &storedRows[idx]; !cur.row.sameHostFields(r) {
			cur.row = *r
			changed = append(changed, cur)
		}
	}
	removed := make([]pgID, 0, len(stored))
	for id := range stored {
		removed = append(removed, id)
	}
	if len(metaRows) > 0 {
		if err := it.updateCatalogue(ctx, metaIDs, metaRows, catalogue); err != nil {
			return 0, err
		}
	}

	// The host's own rows.
	batch = &pgx.Batch{}
	if len(removed) > 0 {
		batch.Queue(sqlDeleteHostPackages, it.hostID(), removed)
	}
	if len(changed) > 0 {
		cols := newPackageColumns(len(changed))
		for _, c := range changed {
			cols.add(c.id, &c.row)
		}
		batch.Queue(sqlUpdateHostPackages, cols.args(it.hostID())...)
	}
	useCopy := len(newRows) >= it.s.cfg.CopyThreshold
	if len(newRows) > 0 && !useCopy {
		cols := newPackageColumns(len(newRows))
		for i, r := range newRows {
			cols.add(newIDs[i], r)
		}
		batch.Queue(sqlInsertHostPackages, cols.args(it.hostID())...)
	}
	if batch.Len() > 0 {
		if err := it.tx.SendBatch(ctx, batch).Close(); err != nil {
			return 0, err
		}
	}
	if len(newRows) > 0 && useCopy {
		src := make([][]any, len(newRows))
		for i, r := range newRows {
			src[i] = []any{it.hostID(), newIDs[i], r.CurrentVersion, r.AvailableVersion, r.NeedsUpdate, r.IsSecurityUpdate,
				r.SourceRepository, r.WUAGuid, r.WUAKb, r.WUASeverity, r.WUACategories, r.WUASupportURL, r.WUARevisionNumber}
		}
		if _, err := it.tx.CopyFrom(ctx, pgx.Identifier{"host_packages"}, hostPackageColumns, pgx.CopyFromRows(src)); err != nil {
			return 0, err
		}
	}
	return len(removed) + len(changed) + len(newRows), nil
}

// pgID is how ingest passes and scans uuids: pgx has direct binary plans for [16]byte,
// while uuid.UUID goes through driver.Valuer / sql.Scanner and its text form, which costs
// noticeably when thousands of package ids travel per report.
type pgID = [16]byte

// hostID is the host's id as a pgID.
func (it *ingestTx) hostID() pgID { return it.a.HostID }

// scanCatalogue adds packages rows (sqlPackagesByName) to m.
func scanCatalogue(rows pgx.Rows, m map[string]*catalogueRow) error {
	var (
		c    catalogueRow
		name string
	)
	_, err := pgx.ForEachRow(rows, []any{&c.id, &name, &c.description, &c.category, &c.latest}, func() error {
		cp := c
		m[name] = &cp
		return nil
	})
	return err
}

var errPackageVanished = errors.New("inventory: a package row disappeared during ingest")

// catalogueUpdate reports whether row r brings something the shared package row lacks:
// a description or category where it has none, or a newer version than it knows.
func catalogueUpdate(desc, cat, latest string, r *pkgRow) bool {
	return (desc == "" && r.Description != "") || (cat == "" && r.Category != "") ||
		(r.newestVersion() != "" && (latest == "" || CompareVersions(r.newestVersion(), latest) > 0))
}

// updateCatalogue locks the candidate package rows in name order, re-checks them
// against what they hold now (another report may have got there first) and updates
// those that still need it. catalogue gets the rows as they are now.
func (it *ingestTx) updateCatalogue(ctx context.Context, ids []pgID, rows []*pkgRow, catalogue map[string]*catalogueRow) error {
	byID := make(map[pgID]*pkgRow, len(ids))
	for i, id := range ids {
		byID[id] = rows[i]
	}
	lrows, err := it.tx.Query(ctx, sqlLockPackages, ids)
	if err != nil {
		return err
	}
	var (
		id            pgID
		d, c, l       string
		upIDs         []pgID
		upD, upC, upL []string
	)
	_, err = pgx.ForEachRow(lrows, []any{&id, &d, &c, &l}, func() error {
		r := byID[id]
		if r == nil {
			return nil
		}
		if !catalogueUpdate(d, c, l, r) {
			catalogue[r.Name] = &catalogueRow{id: id, description: d, category: c, latest: l}
			return nil
		}
		if d == "" {
			d = r.Description
		}
		if c == "" {
			c = r.Category
		}
		if v := r.newestVersion(); v != "" && (l == "" || CompareVersions(v, l) > 0) {
			l = v
		}
		catalogue[r.Name] = &catalogueRow{id: id, description: d, category: c, latest: l}
		upIDs, upD, upC, upL = append(upIDs, id), append(upD, d), append(upC, c), append(upL, l)
		return nil
	})
	if err != nil || len(upIDs) == 0 {
		return err
	}
	_, err = it.tx.Exec(ctx, sqlUpdatePackages, upIDs, upD, upC, upL)
	return err
}

// packageColumns are host_packages values as parallel arrays for unnest.
type packageColumns struct {
	ids            []pgID
	cv, av, src    []string
	nu, sec        []bool
	wg, wk, ws, wu []string
	wc             []*string
	wr             []int32
}

func newPackageColumns(n int) *packageColumns {
	return &packageColumns{
		ids: make([]pgID, 0, n), cv: make([]string, 0, n), av: make([]string, 0, n),
		src: make([]string, 0, n), nu: make([]bool, 0, n), sec: make([]bool, 0, n),
		wg: make([]string, 0, n), wk: make([]string, 0, n), ws: make([]string, 0, n),
		wu: make([]string, 0, n), wc: make([]*string, 0, n), wr: make([]int32, 0, n),
	}
}

func (c *packageColumns) add(id pgID, r *pkgRow) {
	c.ids = append(c.ids, id)
	c.cv = append(c.cv, r.CurrentVersion)
	c.av = append(c.av, r.AvailableVersion)
	c.nu = append(c.nu, r.NeedsUpdate)
	c.sec = append(c.sec, r.IsSecurityUpdate)
	c.src = append(c.src, r.SourceRepository)
	c.wg = append(c.wg, r.WUAGuid)
	c.wk = append(c.wk, r.WUAKb)
	c.ws = append(c.ws, r.WUASeverity)
	var wc *string
	if r.WUACategories != nil {
		j := strings.Join(r.WUACategories, "\x1f")
		wc = &j
	}
	c.wc = append(c.wc, wc)
	c.wu = append(c.wu, r.WUASupportURL)
	c.wr = append(c.wr, r.WUARevisionNumber)
}

func (c *packageColumns) args(hostID pgID) []any {
	return []any{hostID, c.ids, c.cv, c.av, c.nu, c.sec, c.src, c.wg, c.wk, c.ws, c.wc, c.wu, c.wr}
}

// writeRepos makes sure the host's repositories exist in the shared catalogue (in key
// order) and replaces the host's links with the reported set.
func (it *ingestTx) writeRepos(ctx context.Context) error {
	repos := it.p.repos
	ids := make([]pgID, 0, len(repos))
	enabled := make([]bool, 0, len(repos))
	if len(repos) > 0 {
		n := len(repos)
		names, urls, dists, comps, types := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		secure := make([]bool, n)
		for i, r := range repos {
			names[i], urls[i], dists[i], comps[i], types[i], secure[i] = r.name, r.url, r.distribution, r.components, r.repoType, r.secure
		}
		if _, err := it.tx.Exec(ctx, sqlInsertRepositories, names, urls, dists, comps, types, secure); err != nil {
			return err
		}
		rows, err := it.tx.Query(ctx, sqlRepositoriesByKey, urls, dists, comps)
		if err != nil {
			return err
		}
		byKey := make(map[[3]string]pgID, n)
		var (
			id      pgID
			u, d, c string
		)
		if _, err := pgx.ForEachRow(rows, []any{&id, &u, &d, &c}, func() error {
			byKey[[3]string{u, d, c}] = id
			return nil
		}); err != nil {
			return err
		}
		for _, r := range repos {
			id, ok := byKey[[3]string{r.url, r.distribution, r.components}]
			if !ok {
				return errPackageVanished
			}
			ids = append(ids, id)
			enabled = append(enabled, r.enabled)
		}
	}
	batch := &pgx.Batch{}
	batch.Queue(sqlDeleteHostRepositories, it.hostID(), ids)
	if len(ids) > 0 {
		batch.Queue(sqlUpsertHostRepositories, it.hostID(), ids, enabled)
	}
	return it.tx.SendBatch(ctx, batch).Close()
}

// writeHost updates the host row and appends the history entry.
func (it *ingestTx) writeHost(ctx context.Context, start time.Time, changed int) error {
	p, r := it.p, it.p.report
	str := func(apply bool, v string) any {
		if !apply {
			return nil
		}
		return nullIfEmpty(strings.TrimSpace(v))
	}
	full := p.full
	var (
		bootTime                              *time.Time
		loadAvg                               []float64
		cpuCores                              *int
		ram, swap, execTime                   *float64
		needsReboot                           *bool
		dns                                   []string
		pkgHash, repoHash, ifHash, hnHash     any
		total, outdated, security, totalRepos *int
	)
	if full {
		bootTime = r.BootTime
		loadAvg = r.LoadAverage
		if r.CPUCores > 0 {
			cpuCores = &r.CPUCores
		}
		if r.RAMInstalled > 0 {
			ram = &r.RAMInstalled
		}
		swap = &r.SwapSize
		if r.ExecutionTime > 0 {
			execTime = &r.ExecutionTime
		}
		needsReboot = &r.NeedsReboot
		dns = r.DNSServers
	}
	if p.hasPackages {
		pkgHash = p.packagesHash
		n, u, s := len(p.packages), p.updates, p.security
		total, outdated, security = &n, &u, &s
	}
	if p.hasRepos {
		repoHash = p.reposHash
		n := len(p.repos)
		totalRepos = &n
	}
	if p.hasInterfaces {
		ifHash = p.interfacesHash
	}
	if p.hasHostname {
		hnHash = p.hostnameHash
	}
	var digest any
	if it.meta.Digest != ([32]byte{}) {
		digest = it.meta.Digest[:]
	}
	var agentMs any
	if full && r.AgentExecutionMs != nil {
		agentMs = *r.AgentExecutionMs
	}
	network := full || p.hasInterfaces
	batch := &pgx.Batch{}
	batch.Queue(sqlUpdateHostReport, it.hostID(), full, digest,
		str(full, r.MachineID), str(full, r.OSType), str(full, r.OSVersion), str(network, r.IP),
		str(full, r.Architecture), str(full, r.AgentVersion), str(full, r.KernelVersion),
		str(full, r.InstalledKernelVersion), str(full, r.SELinuxStatus), str(full, r.SystemUptime),
		bootTime, loadAvg, str(full, r.CPUModel), cpuCores, ram, swap, jsonbArg(p.disksJSON),
		str(network, r.GatewayIP), dns, jsonbArg(p.interfacesJSON), needsReboot, str(full, r.RebootReason),
		str(full, r.PackageManager), execTime, agentMs, str(p.hasHostname, r.Hostname),
		pkgHash, repoHash, ifHash, hnHash, total, outdated, security, totalRepos)
	reportType := "full"
	sections := p.sections
	if !full {
		reportType = "partial"
	}
	var histTotal, histUpdates, histSecurity int
	if p.hasPackages {
		histTotal, histUpdates, histSecurity = len(p.packages), p.updates, p.security
	}
	var execSeconds any
	if r.ExecutionTime > 0 {
		execSeconds = r.ExecutionTime
	}
	var histAgentMs any
	if r.AgentExecutionMs != nil {
		histAgentMs = *r.AgentExecutionMs
	}
	processing := float64(time.Since(start).Microseconds()) / 1000
	batch.Queue(sqlInsertReportHistory, it.hostID(), reportType, sections, histTotal, histUpdates,
		histSecurity, changed, float64(it.meta.BodySize)/1024, execSeconds, histAgentMs, processing, digest)
	return it.tx.SendBatch(ctx, batch).Close()
}

// recordFailure notes a report that could not be stored in the host's history, in its own
// short transaction (the report's own transaction has rolled back).
func (s *Service) recordFailure(ctx context.Context, a Agent, p *preparedReport, meta ReportMeta, cause error) {
	reportType := "full"
	if !p.full {
		reportType = "partial"
	}
	msg := cause.Error()
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	if _, err := s.db.Pool.Exec(ctx, sqlInsertErrorHistory, a.HostID, a.Generation, reportType, p.sections,
		float64(meta.BodySize)/1024, msg); err != nil {
		s.log.WarnContext(ctx, "recording a failed report failed", "host_id", a.HostID, "err", err)
	}
}
