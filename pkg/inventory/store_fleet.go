package inventory

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// The fleet package list is built for 10,000 hosts with 200 packages each (two million
// host_packages rows) answering in well under a second (BenchmarkListPackages):
//   - filters run on the small packages table, with EXISTS probes into host_packages
//     (the primary key's package index, and for "has an update" the partial
//     host_packages_outdated_idx of migration 0009, which holds only outdated rows);
//   - sorted by name or category, the page is chosen first and only its rows are
//     counted;
//   - sorted by update or security counts, only the outdated rows are aggregated;
//   - sorted by host count, every row is aggregated once (an index-only scan).
const (
	// packageFilter is the WHERE clause of the package list: $1 search pattern or '',
	// $2 category or '', $3 needs update somewhere, $4 security update somewhere.
	packageFilter = `
WHERE EXISTS (SELECT 1 FROM host_packages x WHERE x.package_id = p.id)
  AND ($1 = '' OR p.name ILIKE $1 ESCAPE '\' OR p.description ILIKE $1 ESCAPE '\')
  AND ($2 = '' OR p.category = $2)
  AND (NOT $3::boolean OR EXISTS (SELECT 1 FROM host_packages x WHERE x.package_id = p.id AND x.needs_update))
  AND (NOT $4::boolean OR EXISTS (SELECT 1 FROM host_packages x
           WHERE x.package_id = p.id AND x.needs_update AND x.is_security_update))`

	sqlPackageCount = `SELECT count(*) FROM packages p ` + packageFilter

	packageCounts = `
       (SELECT count(*) FROM host_packages x WHERE x.package_id = p.id),
       (SELECT count(*) FROM host_packages x WHERE x.package_id = p.id AND x.needs_update),
       (SELECT count(*) FROM host_packages x WHERE x.package_id = p.id AND x.needs_update AND x.is_security_update)`

	// sqlPackagePageByColumn pages by a packages column (%[1]s is the ORDER BY list),
	// then counts the page's rows.
	sqlPackagePageByColumn = `
SELECT p.id, p.name, p.description, p.category, p.latest_version,` + packageCounts + `
FROM (SELECT p.* FROM packages p ` + packageFilter + `
      ORDER BY %[1]s LIMIT $5 OFFSET $6) p
ORDER BY %[1]s`

	// sqlPackagePageByOutdated pages by update or security counts.
	sqlPackagePageByOutdated = `
SELECT p.id, p.name, p.description, p.category, p.latest_version,
       (SELECT count(*) FROM host_packages x WHERE x.package_id = p.id), p.outdated, p.security
FROM (SELECT * FROM (
          SELECT p.*, COALESCE(o.outdated, 0) AS outdated, COALESCE(o.security, 0) AS security
          FROM packages p
          LEFT JOIN (SELECT package_id, count(*) AS outdated, count(*) FILTER (WHERE is_security_update) AS security
                     FROM host_packages WHERE needs_update GROUP BY package_id) o ON o.package_id = p.id
          ` + packageFilter + `) p
      ORDER BY %[1]s LIMIT $5 OFFSET $6) p
ORDER BY %[1]s`

	// sqlPackagePageByHosts pages by host count.
	sqlPackagePageByHosts = `
SELECT p.id, p.name, p.description, p.category, p.latest_version, p.hosts,
       (SELECT count(*) FROM host_packages x WHERE x.package_id = p.id AND x.needs_update),
       (SELECT count(*) FROM host_packages x WHERE x.package_id = p.id AND x.needs_update AND x.is_security_update)
FROM (SELECT * FROM (
          SELECT p.*, COALESCE(c.hosts, 0) AS hosts
          FROM packages p
          LEFT JOIN (SELECT package_id, count(*) AS hosts FROM host_packages GROUP BY package_id) c ON c.package_id = p.id
          ` + packageFilter + `) p
      ORDER BY %[1]s LIMIT $5 OFFSET $6) p
ORDER BY %[1]s`

	sqlPackageCategories = `SELECT DISTINCT category FROM packages WHERE category <> '' ORDER BY category`

	sqlPackageDetail = `
SELECT p.id, p.name, p.description, p.category, p.latest_version,` + packageCounts + `,
       p.created_at, p.updated_at
FROM packages p WHERE p.id = $1`

	sqlPackageVersions = `
SELECT current_version, count(*) FROM host_packages WHERE package_id = $1
GROUP BY current_version ORDER BY count(*) DESC, current_version LIMIT 20`

	// packageHostFilter: $1 package, $2 search pattern or '', $3 updates only.
	packageHostFilter = `
WHERE hp.package_id = $1
  AND ($2 = '' OR h.friendly_name ILIKE $2 ESCAPE '\' OR h.hostname ILIKE $2 ESCAPE '\'
       OR hp.current_version ILIKE $2 ESCAPE '\')
  AND (NOT $3::boolean OR hp.needs_update)`

	sqlPackageHostsCount = `
SELECT count(*) FROM host_packages hp JOIN hosts h ON h.id = hp.host_id ` + packageHostFilter

	sqlPackageHostsPage = `
SELECT h.id, h.friendly_name, h.hostname, h.ip, h.os_type, h.os_version, h.status,
       hp.current_version, hp.available_version, hp.needs_update, hp.is_security_update, hp.updated_at
FROM host_packages hp JOIN hosts h ON h.id = hp.host_id ` + packageHostFilter + `
ORDER BY %s LIMIT $4 OFFSET $5`

	// sqlExportPackages streams every host/package row: $1 updates only, $2 security only.
	sqlExportPackages = `
SELECT h.id, h.friendly_name, COALESCE(h.hostname, ''), COALESCE(h.ip, ''), COALESCE(h.os_type, ''),
       COALESCE(h.os_version, ''), p.name, p.category, hp.current_version, hp.available_version,
       hp.needs_update, hp.is_security_update, hp.source_repository
FROM hosts h
JOIN host_packages hp ON hp.host_id = h.id
JOIN packages p ON p.id = hp.package_id
WHERE (NOT $1::boolean OR hp.needs_update) AND (NOT $2::boolean OR (hp.needs_update AND hp.is_security_update))
ORDER BY lower(h.friendly_name), h.id, p.name`
)

// PackageSort names a package list order.
type PackageSort string

// Package list orders.
const (
	SortByName     PackageSort = "name"
	SortByCategory PackageSort = "category"
	SortByHosts    PackageSort = "hosts"
	SortByUpdates  PackageSort = "updates"
	SortBySecurity PackageSort = "security"
)

// PackageQuery filters, orders and pages the fleet package list.
type PackageQuery struct {
	// Search matches part of the name or description, case-insensitively.
	Search string
	// Category keeps packages of this category.
	Category string
	// NeedsUpdate keeps packages with an update on at least one host.
	NeedsUpdate bool
	// SecurityOnly keeps packages with a security update on at least one host.
	SecurityOnly bool
	// Sort is the order; default SortByName.
	Sort PackageSort
	// Desc reverses it; nil means ascending for name and category, descending for counts.
	Desc *bool
	Page
}

// FleetPackage is a package with how many hosts have it, need an update and need a
// security update.
type FleetPackage struct {
	ID            uuid.UUID
	Name          string
	Description   string
	Category      string
	LatestVersion string
	HostsCount    int
	OutdatedHosts int
	SecurityHosts int
}

func (p *FleetPackage) fields() []any {
	return []any{&p.ID, &p.Name, &p.Description, &p.Category, &p.LatestVersion,
		&p.HostsCount, &p.OutdatedHosts, &p.SecurityHosts}
}

// packageOrder returns the page query and ORDER BY list for q. Only whitelisted column
// names reach the SQL text.
func packageOrder(q PackageQuery) (string, string, error) {
	desc := q.Sort == SortByHosts || q.Sort == SortByUpdates || q.Sort == SortBySecurity
	if q.Desc != nil {
		desc = *q.Desc
	}
	dir := "ASC"
	if desc {
		dir = "DESC"
	}
	switch q.Sort {
	case "", SortByName:
		return sqlPackagePageByColumn, "p.name " + dir + ", p.id", nil
	case SortByCategory:
		return sqlPackagePageByColumn, "p.category " + dir + ", p.name, p.id", nil
	case SortByHosts:
		return sqlPackagePageByHosts, "p.hosts " + dir + ", p.name, p.id", nil
	case SortByUpdates:
		return sqlPackagePageByOutdated, "p.outdated " + dir + ", p.security " + dir + ", p.name, p.id", nil
	case SortBySecurity:
		return sqlPackagePageByOutdated, "p.security " + dir + ", p.outdated " + dir + ", p.name, p.id", nil
	}
	return "", "", invalidField("sort", "sort must be one of name, category, hosts, updates, security")
}

// Packages returns one page of the fleet's packages (those installed on at least one
// host) and how many match in all.
func (s *Service) Packages(ctx context.Context, q PackageQuery) ([]FleetPackage, int, error) {
	tmpl, order, err := packageOrder(q)
	if err != nil {
		return nil, 0, err
	}
	q.Page = q.Page.norm()
	args := []any{searchPattern(q.Search), strings.TrimSpace(q.Category), q.NeedsUpdate, q.SecurityOnly}
	var total int
	if err := s.db.Pool.QueryRow(ctx, sqlPackageCount, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.Pool.Query(ctx, fmt.Sprintf(tmpl, order), append(args, q.Limit, q.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	pkgs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (FleetPackage, error) {
		var p FleetPackage
		return p, r.Scan(p.fields()...)
	})
	return pkgs, total, err
}

// PackageCategories lists the categories of the package catalogue.
func (s *Service) PackageCategories(ctx context.Context) ([]string, error) {
	rows, err := s.db.Pool.Query(ctx, sqlPackageCategories)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// VersionCount is how many hosts have one version of a package installed.
type VersionCount struct {
	Version string
	Count   int
}

// PackageDetail is a package with its counts and most common installed versions.
type PackageDetail struct {
	FleetPackage
	// Versions are the installed versions, most common first (at most 20).
	Versions  []VersionCount
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Package returns one package of the catalogue.
func (s *Service) Package(ctx context.Context, id uuid.UUID) (PackageDetail, error) {
	var d PackageDetail
	err := s.db.Pool.QueryRow(ctx, sqlPackageDetail, id).Scan(append(d.fields(), &d.CreatedAt, &d.UpdatedAt)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return PackageDetail{}, ErrPackageNotFound
	}
	if err != nil {
		return PackageDetail{}, err
	}
	rows, err := s.db.Pool.Query(ctx, sqlPackageVersions, id)
	if err != nil {
		return PackageDetail{}, err
	}
	d.Versions, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (VersionCount, error) {
		var v VersionCount
		return v, r.Scan(&v.Version, &v.Count)
	})
	return d, err
}

// PackageHost is a host that has a package, with its versions.
type PackageHost struct {
	ID               uuid.UUID
	FriendlyName     string
	Hostname         *string
	IP               *string
	OSType           *string
	OSVersion        *string
	Status           string
	CurrentVersion   string
	AvailableVersion string
	NeedsUpdate      bool
	IsSecurityUpdate bool
	// LastChecked is when the host last changed this package's row.
	LastChecked time.Time
}

// PackageHostQuery filters, orders and pages the hosts of a package.
type PackageHostQuery struct {
	// Search matches part of the friendly name, hostname or installed version.
	Search string
	// NeedsUpdate keeps hosts with an update.
	NeedsUpdate bool
	// ByName orders by name alone; otherwise security updates come first, then updates.
	ByName bool
	Page
}

// PackageHosts returns one page of the hosts that have a package and how many match.
func (s *Service) PackageHosts(ctx context.Context, id uuid.UUID, q PackageHostQuery) ([]PackageHost, int, error) {
	var exists bool
	if err := s.db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM packages WHERE id = $1)`, id).Scan(&exists); err != nil {
		return nil, 0, err
	}
	if !exists {
		return nil, 0, ErrPackageNotFound
	}
	q.Page = q.Page.norm()
	args := []any{id, searchPattern(q.Search), q.NeedsUpdate}
	var total int
	if err := s.db.Pool.QueryRow(ctx, sqlPackageHostsCount, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	order := "hp.is_security_update DESC, hp.needs_update DESC, lower(h.friendly_name), h.id"
	if q.ByName {
		order = "lower(h.friendly_name), h.id"
	}
	rows, err := s.db.Pool.Query(ctx, fmt.Sprintf(sqlPackageHostsPage, order), append(args, q.Limit, q.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	hosts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PackageHost, error) {
		var h PackageHost
		return h, r.Scan(&h.ID, &h.FriendlyName, &h.Hostname, &h.IP, &h.OSType, &h.OSVersion, &h.Status,
			&h.CurrentVersion, &h.AvailableVersion, &h.NeedsUpdate, &h.IsSecurityUpdate, &h.LastChecked)
	})
	return hosts, total, err
}

// ExportRow is one package on one host, as exported.
type ExportRow struct {
	HostID           uuid.UUID
	Host             string
	Hostname         string
	IP               string
	OSType           string
	OSVersion        string
	Package          string
	Category         string
	CurrentVersion   string
	AvailableVersion string
	NeedsUpdate      bool
	IsSecurityUpdate bool
	SourceRepository string
}

// ExportFilter selects the rows of an export.
type ExportFilter struct {
	// NeedsUpdate keeps rows with an update; SecurityOnly rows with a security update.
	NeedsUpdate, SecurityOnly bool
}

// ExportPackages calls fn with every package on every host, by host name then package
// name, as the rows arrive from the database: nothing is collected in memory, so it
// works for any fleet size. It stops at the first error fn returns. The first call of fn
// happens only once the query has started, so a caller can still report a failure to
// start as an ordinary error.
func (s *Service) ExportPackages(ctx context.Context, f ExportFilter, fn func(*ExportRow) error) error {
	rows, err := s.db.Pool.Query(ctx, sqlExportPackages, f.NeedsUpdate, f.SecurityOnly)
	if err != nil {
		return err
	}
	defer rows.Close()
	var r ExportRow
	for rows.Next() {
		if err := rows.Scan(&r.HostID, &r.Host, &r.Hostname, &r.IP, &r.OSType, &r.OSVersion, &r.Package,
			&r.Category, &r.CurrentVersion, &r.AvailableVersion, &r.NeedsUpdate, &r.IsSecurityUpdate,
			&r.SourceRepository); err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return rows.Err()
}
