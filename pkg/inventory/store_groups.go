package inventory

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/patchmon-go/patchmon/pkg/db"
	"github.com/patchmon-go/patchmon/pkg/httpx"
)

// Errors of the fleet views (host groups, packages, repositories). They are API errors
// already, so apiError passes them through; match them with errors.Is.
var (
	// ErrNoSuchHostGroup: no host group with that id (404).
	ErrNoSuchHostGroup = httpx.NewError(http.StatusNotFound, CodeHostGroupNotFound, "Host group not found")
	// ErrHostGroupNameTaken: another group has the name (409).
	ErrHostGroupNameTaken = &httpx.APIError{Status: http.StatusConflict, Code: CodeHostGroupNameTaken,
		Message: "A host group with this name already exists", Field: "name"}
	// ErrPackageNotFound: no package with that id (404).
	ErrPackageNotFound = httpx.NewError(http.StatusNotFound, CodePackageNotFound, "Package not found")
	// ErrRepositoryNotFound: no repository with that id (404).
	ErrRepositoryNotFound = httpx.NewError(http.StatusNotFound, CodeRepositoryNotFound, "Repository not found")
	// ErrRepositoryInUse: the repository still has hosts, so deleting it is refused (409).
	ErrRepositoryInUse = httpx.NewError(http.StatusConflict, CodeRepositoryInUse,
		"Repository is still used by hosts; it would return with their next report, so disable it instead")
)

// Stable error codes of the fleet views.
const (
	CodeHostGroupNameTaken = "host_group_name_taken"
	CodePackageNotFound    = "package_not_found"
	CodeRepositoryNotFound = "repository_not_found"
	CodeRepositoryInUse    = "repository_in_use"
)

// DefaultHostGroupColor is the colour of a group created without one.
const DefaultHostGroupColor = "#3B82F6"

// Limits of host group fields.
const (
	maxGroupName        = 100
	maxGroupDescription = 500
)

var hexColor = regexp.MustCompile(`^#[0-9A-Fa-f]{6}$`)

func invalidField(field, msg string) error {
	return &httpx.APIError{Status: http.StatusBadRequest, Code: httpx.CodeValidation, Message: msg, Field: field}
}

const (
	groupColumns = `g.id, g.name, g.description, g.color,
       (SELECT count(*) FROM host_group_memberships m WHERE m.host_group_id = g.id),
       g.created_at, g.updated_at`

	sqlListHostGroups = `SELECT ` + groupColumns + ` FROM host_groups g ORDER BY lower(g.name), g.id`
	sqlGetHostGroup   = `SELECT ` + groupColumns + ` FROM host_groups g WHERE g.id = $1`
	sqlLockHostGroup  = `SELECT ` + groupColumns + ` FROM host_groups g WHERE g.id = $1 FOR UPDATE`

	sqlInsertHostGroup = `
INSERT INTO host_groups AS g (name, description, color) VALUES ($1, $2, $3)
RETURNING ` + groupColumns

	// A NULL parameter keeps the stored value.
	sqlUpdateHostGroup = `
UPDATE host_groups g SET name = COALESCE($2, g.name), description = COALESCE($3, g.description),
       color = COALESCE($4, g.color), updated_at = now()
WHERE g.id = $1
RETURNING ` + groupColumns

	sqlHostGroupMembers = `
SELECT h.id, h.friendly_name FROM host_group_memberships m JOIN hosts h ON h.id = m.host_id
WHERE m.host_group_id = $1 ORDER BY lower(h.friendly_name), h.id`

	sqlDeleteHostGroup = `DELETE FROM host_groups WHERE id = $1`

	// fleetHostColumns are the host columns of fleet lists, in FleetHost order.
	fleetHostColumns = `h.id, h.friendly_name, h.hostname, h.ip, h.os_type, h.os_version, h.status,
       h.needs_reboot, h.outdated_packages, h.security_updates, h.last_report_at`

	// hostSearch is the host filter of fleet lists: $2 is an ILIKE pattern or ''.
	hostSearch = `($2 = '' OR h.friendly_name ILIKE $2 ESCAPE '\' OR h.hostname ILIKE $2 ESCAPE '\'
       OR h.ip ILIKE $2 ESCAPE '\')`

	sqlGroupHostsCount = `
SELECT count(*) FROM host_group_memberships m JOIN hosts h ON h.id = m.host_id
WHERE m.host_group_id = $1 AND ` + hostSearch

	sqlGroupHostsPage = `
SELECT ` + fleetHostColumns + `
FROM host_group_memberships m JOIN hosts h ON h.id = m.host_id
WHERE m.host_group_id = $1 AND ` + hostSearch + `
ORDER BY lower(h.friendly_name), h.id LIMIT $3 OFFSET $4`
)

// HostGroup is a host group with its number of member hosts.
type HostGroup struct {
	ID          uuid.UUID
	Name        string
	Description string
	Color       string
	HostsCount  int
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func scanHostGroup(row pgx.Row) (HostGroup, error) {
	var g HostGroup
	err := row.Scan(&g.ID, &g.Name, &g.Description, &g.Color, &g.HostsCount, &g.CreatedAt, &g.UpdatedAt)
	return g, err
}

// HostGroupChange is a new group, or the fields of a group to change (nil keeps the
// stored value; Name is required for a new group).
type HostGroupChange struct {
	Name        *string
	Description *string
	Color       *string
}

// clean trims and validates the fields present.
func (c HostGroupChange) clean(create bool) (HostGroupChange, error) {
	out := HostGroupChange{}
	if c.Name != nil || create {
		name := ""
		if c.Name != nil {
			name = strings.TrimSpace(*c.Name)
		}
		switch {
		case name == "":
			return out, invalidField("name", "Name is required")
		case len([]rune(name)) > maxGroupName:
			return out, invalidField("name", "Name must be at most 100 characters")
		}
		out.Name = &name
	}
	if c.Description != nil {
		d := strings.TrimSpace(*c.Description)
		if len([]rune(d)) > maxGroupDescription {
			return out, invalidField("description", "Description must be at most 500 characters")
		}
		out.Description = &d
	}
	if c.Color != nil {
		col := strings.TrimSpace(*c.Color)
		if !hexColor.MatchString(col) {
			return out, invalidField("color", "Color must be a hex colour like #3B82F6")
		}
		out.Color = &col
	}
	return out, nil
}

// HostGroups lists every host group by name.
func (s *Service) HostGroups(ctx context.Context) ([]HostGroup, error) {
	rows, err := s.db.Pool.Query(ctx, sqlListHostGroups)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (HostGroup, error) { return scanHostGroup(r) })
}

// HostGroup returns one group.
func (s *Service) HostGroup(ctx context.Context, id uuid.UUID) (HostGroup, error) {
	g, err := scanHostGroup(s.db.Pool.QueryRow(ctx, sqlGetHostGroup, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return HostGroup{}, ErrNoSuchHostGroup
	}
	return g, err
}

// CreateHostGroup creates a group. The name must be unique (ErrHostGroupNameTaken).
func (s *Service) CreateHostGroup(ctx context.Context, in HostGroupChange) (HostGroup, error) {
	c, err := in.clean(true)
	if err != nil {
		return HostGroup{}, err
	}
	desc, color := "", DefaultHostGroupColor
	if c.Description != nil {
		desc = *c.Description
	}
	if c.Color != nil {
		color = *c.Color
	}
	g, err := scanHostGroup(s.db.Pool.QueryRow(ctx, sqlInsertHostGroup, *c.Name, desc, color))
	if db.IsUniqueViolation(err, "host_groups_name_key") {
		return HostGroup{}, ErrHostGroupNameTaken
	}
	return g, err
}

// UpdateHostGroup changes the fields of a group that in sets.
func (s *Service) UpdateHostGroup(ctx context.Context, id uuid.UUID, in HostGroupChange) (HostGroup, error) {
	c, err := in.clean(false)
	if err != nil {
		return HostGroup{}, err
	}
	g, err := scanHostGroup(s.db.Pool.QueryRow(ctx, sqlUpdateHostGroup, id, c.Name, c.Description, c.Color))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return HostGroup{}, ErrNoSuchHostGroup
	case db.IsUniqueViolation(err, "host_groups_name_key"):
		return HostGroup{}, ErrHostGroupNameTaken
	}
	return g, err
}

// HostRef names a host.
type HostRef struct {
	ID           uuid.UUID
	FriendlyName string
}

// DeleteHostGroup deletes a group and returns it with the hosts that were its members.
// The hosts themselves are kept. The group row is locked first, so a host being added to
// the group concurrently is either listed or fails its foreign key check.
func (s *Service) DeleteHostGroup(ctx context.Context, id uuid.UUID) (HostGroup, []HostRef, error) {
	var (
		g       HostGroup
		members []HostRef
	)
	err := s.db.Tx(ctx, func(tx pgx.Tx) error {
		var err error
		if g, err = scanHostGroup(tx.QueryRow(ctx, sqlLockHostGroup, id)); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return ErrNoSuchHostGroup
			}
			return err
		}
		rows, err := tx.Query(ctx, sqlHostGroupMembers, id)
		if err != nil {
			return err
		}
		members, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (HostRef, error) {
			var h HostRef
			return h, r.Scan(&h.ID, &h.FriendlyName)
		})
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, sqlDeleteHostGroup, id)
		return err
	})
	if err != nil {
		return HostGroup{}, nil, err
	}
	return g, members, nil
}

// FleetHost is a host as the fleet lists show it.
type FleetHost struct {
	ID               uuid.UUID
	FriendlyName     string
	Hostname         *string
	IP               *string
	OSType           *string
	OSVersion        *string
	Status           string
	NeedsReboot      bool
	OutdatedPackages int
	SecurityUpdates  int
	// LastUpdate is the time of the last accepted report; nil before the first.
	LastUpdate *time.Time
}

// fleetHostFields returns scan destinations for fleetHostColumns.
func (h *FleetHost) fields() []any {
	return []any{&h.ID, &h.FriendlyName, &h.Hostname, &h.IP, &h.OSType, &h.OSVersion, &h.Status,
		&h.NeedsReboot, &h.OutdatedPackages, &h.SecurityUpdates, &h.LastUpdate}
}

// Page selects a slice of a list.
type Page struct {
	// Limit is the most items to return; 0 means 50.
	Limit int
	// Offset is how many to skip.
	Offset int
}

func (p Page) norm() Page {
	if p.Limit <= 0 {
		p.Limit = 50
	}
	if p.Offset < 0 {
		p.Offset = 0
	}
	return p
}

// HostGroupHosts lists one page of a group's hosts by name, and how many match in all.
// search matches part of the friendly name, hostname or IP.
func (s *Service) HostGroupHosts(ctx context.Context, id uuid.UUID, search string, p Page) ([]FleetHost, int, error) {
	if _, err := s.HostGroup(ctx, id); err != nil {
		return nil, 0, err
	}
	p = p.norm()
	pat := searchPattern(search)
	var total int
	if err := s.db.Pool.QueryRow(ctx, sqlGroupHostsCount, id, pat).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.Pool.Query(ctx, sqlGroupHostsPage, id, pat, p.Limit, p.Offset)
	if err != nil {
		return nil, 0, err
	}
	hosts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (FleetHost, error) {
		var h FleetHost
		return h, r.Scan(h.fields()...)
	})
	return hosts, total, err
}

// searchPattern turns a search text into an ILIKE pattern matching it anywhere; empty for no search.
func searchPattern(search string) string {
	search = strings.TrimSpace(search)
	if search == "" {
		return ""
	}
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(search) + "%"
}
