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

const (
	repoColumns = `r.id, r.name, r.url, r.distribution, r.components, r.repo_type, r.is_secure, r.is_active,
       r.description,
       (SELECT count(*) FROM host_repositories x WHERE x.repository_id = r.id),
       (SELECT count(*) FROM host_repositories x WHERE x.repository_id = r.id AND x.is_enabled),
       r.created_at, r.updated_at`

	// repoFilter: $1 search pattern or '', $2 secure (NULL: any), $3 active (NULL: any).
	repoFilter = `
WHERE ($1 = '' OR r.name ILIKE $1 ESCAPE '\' OR r.url ILIKE $1 ESCAPE '\' OR r.distribution ILIKE $1 ESCAPE '\')
  AND ($2::boolean IS NULL OR r.is_secure = $2)
  AND ($3::boolean IS NULL OR r.is_active = $3)`

	sqlRepoCount = `SELECT count(*) FROM repositories r ` + repoFilter

	sqlRepoPage = `
SELECT ` + repoColumns + `
FROM (SELECT * FROM (
          SELECT r.*, COALESCE(c.hosts, 0) AS hosts
          FROM repositories r
          LEFT JOIN (SELECT repository_id, count(*) AS hosts FROM host_repositories GROUP BY repository_id) c
                 ON c.repository_id = r.id
          ` + repoFilter + `) r
      ORDER BY %[1]s LIMIT $4 OFFSET $5) r
ORDER BY %[1]s`

	sqlRepoByID   = `SELECT ` + repoColumns + ` FROM repositories r WHERE r.id = $1`
	sqlLockRepo   = `SELECT ` + repoColumns + ` FROM repositories r WHERE r.id = $1 FOR UPDATE`
	sqlDeleteRepo = `DELETE FROM repositories WHERE id = $1`

	sqlUpdateRepo = `
UPDATE repositories r SET name = COALESCE($2, r.name), description = COALESCE($3, r.description),
       is_active = COALESCE($4, r.is_active), updated_at = now()
WHERE r.id = $1
RETURNING ` + repoColumns

	sqlRepoHostsCount = `
SELECT count(*) FROM host_repositories hr JOIN hosts h ON h.id = hr.host_id
WHERE hr.repository_id = $1 AND ` + hostSearch

	sqlRepoHostsPage = `
SELECT ` + fleetHostColumns + `, hr.is_enabled
FROM host_repositories hr JOIN hosts h ON h.id = hr.host_id
WHERE hr.repository_id = $1 AND ` + hostSearch + `
ORDER BY lower(h.friendly_name), h.id LIMIT $3 OFFSET $4`
)

// Repository is a package repository of the catalogue with its host counts.
type Repository struct {
	ID           uuid.UUID
	Name         string
	URL          string
	Distribution string
	Components   string
	RepoType     string
	// IsSecure is true for repositories served over HTTPS.
	IsSecure bool
	// IsActive is false once an administrator disabled the repository.
	IsActive    bool
	Description string
	HostsCount  int
	// EnabledHosts counts the hosts on which the repository is enabled.
	EnabledHosts int
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func scanRepo(row pgx.Row) (Repository, error) {
	var r Repository
	err := row.Scan(&r.ID, &r.Name, &r.URL, &r.Distribution, &r.Components, &r.RepoType, &r.IsSecure,
		&r.IsActive, &r.Description, &r.HostsCount, &r.EnabledHosts, &r.CreatedAt, &r.UpdatedAt)
	return r, err
}

// RepoSort names a repository list order.
type RepoSort string

// Repository list orders.
const (
	RepoSortName  RepoSort = "name"
	RepoSortURL   RepoSort = "url"
	RepoSortHosts RepoSort = "hosts"
)

// RepoQuery filters, orders and pages the repository list.
type RepoQuery struct {
	// Search matches part of the name, URL or distribution.
	Search string
	// Secure and Active keep repositories with that flag; nil keeps all.
	Secure, Active *bool
	// Sort is the order, default RepoSortName.
	Sort RepoSort
	// Desc reverses it; nil means ascending for name and URL, descending for hosts.
	Desc *bool
	Page
}

// Repositories returns one page of the repository catalogue and how many match.
func (s *Service) Repositories(ctx context.Context, q RepoQuery) ([]Repository, int, error) {
	desc := q.Sort == RepoSortHosts
	if q.Desc != nil {
		desc = *q.Desc
	}
	dir := "ASC"
	if desc {
		dir = "DESC"
	}
	var order string
	switch q.Sort {
	case "", RepoSortName:
		order = "lower(r.name) " + dir + ", r.url, r.id"
	case RepoSortURL:
		order = "r.url " + dir + ", r.distribution, r.components, r.id"
	case RepoSortHosts:
		order = "r.hosts " + dir + ", lower(r.name), r.id"
	default:
		return nil, 0, invalidField("sort", "sort must be one of name, url, hosts")
	}
	q.Page = q.Page.norm()
	args := []any{searchPattern(q.Search), q.Secure, q.Active}
	var total int
	if err := s.db.Pool.QueryRow(ctx, sqlRepoCount, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.Pool.Query(ctx, fmt.Sprintf(sqlRepoPage, order), append(args, q.Limit, q.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	repos, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Repository, error) { return scanRepo(r) })
	return repos, total, err
}

// Repository returns one repository.
func (s *Service) Repository(ctx context.Context, id uuid.UUID) (Repository, error) {
	r, err := scanRepo(s.db.Pool.QueryRow(ctx, sqlRepoByID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Repository{}, ErrRepositoryNotFound
	}
	return r, err
}

// RepositoryChange holds the repository fields to change; nil keeps the stored value.
type RepositoryChange struct {
	Name        *string
	Description *string
	// Active enables (true) or disables (false) the repository fleet-wide.
	Active *bool
}

// UpdateRepository changes the fields of a repository that c sets.
func (s *Service) UpdateRepository(ctx context.Context, id uuid.UUID, c RepositoryChange) (Repository, error) {
	if c.Name != nil {
		n := strings.TrimSpace(*c.Name)
		if n == "" || len([]rune(n)) > 255 {
			return Repository{}, invalidField("name", "Name must be 1 to 255 characters")
		}
		c.Name = &n
	}
	if c.Description != nil {
		d := strings.TrimSpace(*c.Description)
		if len([]rune(d)) > 1000 {
			return Repository{}, invalidField("description", "Description must be at most 1000 characters")
		}
		c.Description = &d
	}
	r, err := scanRepo(s.db.Pool.QueryRow(ctx, sqlUpdateRepo, id, c.Name, c.Description, c.Active))
	if errors.Is(err, pgx.ErrNoRows) {
		return Repository{}, ErrRepositoryNotFound
	}
	return r, err
}

// DeleteRepository deletes a repository that no host uses (ErrRepositoryInUse
// otherwise: it would be recreated by the next report of a host that has it).
func (s *Service) DeleteRepository(ctx context.Context, id uuid.UUID) (Repository, error) {
	var r Repository
	err := s.db.Tx(ctx, func(tx pgx.Tx) error {
		var err error
		// The row lock makes a report that starts using the repository now wait, and then
		// fail its foreign key check and retry, rather than slip in between.
		if r, err = scanRepo(tx.QueryRow(ctx, sqlLockRepo, id)); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return ErrRepositoryNotFound
			}
			return err
		}
		if r.HostsCount > 0 {
			return ErrRepositoryInUse
		}
		_, err = tx.Exec(ctx, sqlDeleteRepo, id)
		return err
	})
	if err != nil {
		return Repository{}, err
	}
	return r, nil
}

// RepositoryHost is a host that uses a repository.
type RepositoryHost struct {
	FleetHost
	// Enabled says whether the repository is enabled on the host.
	Enabled bool
}

// RepositoryHosts returns one page of the hosts that use a repository, by name.
func (s *Service) RepositoryHosts(ctx context.Context, id uuid.UUID, search string, p Page) ([]RepositoryHost, int, error) {
	if _, err := s.Repository(ctx, id); err != nil {
		return nil, 0, err
	}
	p = p.norm()
	pat := searchPattern(search)
	var total int
	if err := s.db.Pool.QueryRow(ctx, sqlRepoHostsCount, id, pat).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.Pool.Query(ctx, sqlRepoHostsPage, id, pat, p.Limit, p.Offset)
	if err != nil {
		return nil, 0, err
	}
	hosts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (RepositoryHost, error) {
		var h RepositoryHost
		return h, r.Scan(append(h.fields(), &h.Enabled)...)
	})
	return hosts, total, err
}
