package inventory

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/patchmon-go/patchmon/openapi"
	"github.com/patchmon-go/patchmon/pkg/httpx"
)

// fieldError is a 400 about one request field, which the dashboard shows next to it.
func fieldError(field, msg string) error {
	return &httpx.APIError{Status: http.StatusBadRequest, Code: httpx.CodeValidation, Message: msg, Field: field}
}

// Limits of the administrator's host settings.
const (
	maxFriendlyName = 255
	maxNotes        = 10000
)

// HostUpdate changes a host's settings; nil fields are left as they are.
type HostUpdate struct {
	FriendlyName *string
	// GroupIDs, when not nil, become the host's only groups.
	GroupIDs       *[]uuid.UUID
	Notes          *string
	AutoUpdate     *bool
	HostDownAlerts *bool
	// UpdateInterval, when not nil, is the host's own minutes between reports (5–1440);
	// 0 makes it follow the server's interval again.
	UpdateInterval *int
}

const (
	sqlLockHost = `SELECT id FROM hosts WHERE id = $1 FOR UPDATE`

	sqlUpdateHost = `
UPDATE hosts SET
    friendly_name    = COALESCE($2, friendly_name),
    notes            = COALESCE($3, notes),
    auto_update      = COALESCE($4, auto_update),
    host_down_alerts = COALESCE($5, host_down_alerts),
    update_interval  = CASE WHEN $6::int IS NULL THEN update_interval ELSE NULLIF($6::int, 0) END,
    updated_at       = now()
WHERE id = $1`

	sqlCountGroups = `SELECT count(*) FROM host_groups WHERE id = ANY($1)`

	sqlReplaceMemberships = `DELETE FROM host_group_memberships WHERE host_id = $1 AND NOT (host_group_id = ANY($2))`
)

// UpdateHost changes a host's name, groups, notes and settings in one transaction.
// Validation errors name the field.
func (s *Service) UpdateHost(ctx context.Context, id uuid.UUID, in HostUpdate) error {
	if in.FriendlyName != nil {
		name := strings.TrimSpace(*in.FriendlyName)
		switch {
		case name == "":
			return fieldError("friendlyName", "Friendly name is required")
		case utf8.RuneCountInString(name) > maxFriendlyName:
			return fieldError("friendlyName", "Friendly name must be at most 255 characters")
		}
		in.FriendlyName = &name
	}
	if in.Notes != nil && utf8.RuneCountInString(*in.Notes) > maxNotes {
		return fieldError("notes", "Notes must be at most 10000 characters")
	}
	if v := in.UpdateInterval; v != nil && *v != 0 && (*v < 5 || *v > 1440) {
		return fieldError("updateInterval", "Update interval must be between 5 and 1440 minutes, or 0 to follow the server's interval")
	}
	var groups []uuid.UUID
	if in.GroupIDs != nil {
		groups = dedupeUUIDs(*in.GroupIDs)
	}
	return s.db.Tx(ctx, func(tx pgx.Tx) error {
		var locked uuid.UUID
		if err := tx.QueryRow(ctx, sqlLockHost, id).Scan(&locked); errors.Is(err, pgx.ErrNoRows) {
			return ErrHostNotFound
		} else if err != nil {
			return err
		}
		if in.GroupIDs != nil {
			if err := checkGroups(ctx, tx, groups); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, sqlUpdateHost, id, in.FriendlyName, in.Notes, in.AutoUpdate, in.HostDownAlerts, in.UpdateInterval); err != nil {
			return err
		}
		if in.GroupIDs != nil {
			if _, err := tx.Exec(ctx, sqlReplaceMemberships, id, groups); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, sqlInsertMemberships, id, groups); err != nil {
				return err
			}
		}
		return nil
	})
}

// checkGroups fails with a groupIds field error unless every group exists.
func checkGroups(ctx context.Context, q querier, groups []uuid.UUID) error {
	if len(groups) == 0 {
		return nil
	}
	var n int
	if err := q.QueryRow(ctx, sqlCountGroups, groups).Scan(&n); err != nil {
		return err
	}
	if n != len(groups) {
		return &httpx.APIError{Status: http.StatusBadRequest, Code: CodeHostGroupNotFound, Message: msgHostGroupNotFound, Field: "groupIds"}
	}
	return nil
}

const sqlSetIntegrations = `
UPDATE hosts SET docker_enabled = COALESCE($2, docker_enabled),
                 compliance_enabled = COALESCE($3, compliance_enabled), updated_at = now()
WHERE id = $1
RETURNING docker_enabled, compliance_enabled, compliance_mode`

// SetIntegrations switches a host's Docker and compliance integrations; nil leaves one
// as it is. The agent reads the switches at its next hosts/integrations request; the
// API also pushes them over the WebSocket when it can.
func (s *Service) SetIntegrations(ctx context.Context, id uuid.UUID, docker, compliance *bool) (openapi.HostIntegrationsState, error) {
	var (
		d, c bool
		mode string
	)
	err := s.db.Pool.QueryRow(ctx, sqlSetIntegrations, id, docker, compliance).Scan(&d, &c, &mode)
	if errors.Is(err, pgx.ErrNoRows) {
		return openapi.HostIntegrationsState{}, ErrHostNotFound
	}
	if err != nil {
		return openapi.HostIntegrationsState{}, err
	}
	return s.integrationState(ctx, id, d, c, mode)
}

// lockHosts locks the rows of ids in id order, the order every multi-host writer uses,
// so bulk operations cannot deadlock with each other or with agent reports. It fails
// with ErrHostNotFound unless all exist.
func lockHosts(ctx context.Context, tx pgx.Tx, ids []uuid.UUID) error {
	rows, err := tx.Query(ctx, `SELECT id FROM hosts WHERE id = ANY($1) ORDER BY id FOR UPDATE`, ids)
	if err != nil {
		return err
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return err
	}
	if len(found) != len(ids) {
		return ErrHostNotFound
	}
	return nil
}

// BulkDeleteHosts deletes the hosts in one transaction; every id must exist.
func (s *Service) BulkDeleteHosts(ctx context.Context, ids []uuid.UUID) (int, error) {
	ids = dedupeUUIDs(ids)
	var n int
	err := s.db.Tx(ctx, func(tx pgx.Tx) error {
		deleted, err := DeleteHosts(ctx, tx, ids)
		if err != nil {
			return err
		}
		if len(deleted) != len(ids) {
			return ErrHostNotFound // rolls the deletion back
		}
		n = len(deleted)
		return nil
	})
	return n, err
}

// Group assignment modes of BulkSetGroups.
const (
	GroupsAdd     = "add"
	GroupsRemove  = "remove"
	GroupsReplace = "replace"
)

// BulkSetGroups adds hosts to groups, removes them from groups, or makes the groups
// their only ones (mode GroupsAdd, GroupsRemove, GroupsReplace).
func (s *Service) BulkSetGroups(ctx context.Context, hostIDs, groupIDs []uuid.UUID, mode string) (int, error) {
	hostIDs, groupIDs = dedupeUUIDs(hostIDs), dedupeUUIDs(groupIDs)
	if mode == "" {
		mode = GroupsAdd
	}
	if !slices.Contains([]string{GroupsAdd, GroupsRemove, GroupsReplace}, mode) {
		return 0, fieldError("mode", "mode must be add, remove or replace")
	}
	if len(groupIDs) == 0 && mode != GroupsReplace {
		return 0, fieldError("groupIds", "Choose at least one host group")
	}
	err := s.db.Tx(ctx, func(tx pgx.Tx) error {
		if err := lockHosts(ctx, tx, hostIDs); err != nil {
			return err
		}
		if err := checkGroups(ctx, tx, groupIDs); err != nil {
			return err
		}
		if mode == GroupsRemove || mode == GroupsReplace {
			q := `DELETE FROM host_group_memberships WHERE host_id = ANY($1) AND host_group_id = ANY($2)`
			if mode == GroupsReplace {
				q = `DELETE FROM host_group_memberships WHERE host_id = ANY($1) AND NOT (host_group_id = ANY($2))`
			}
			if _, err := tx.Exec(ctx, q, hostIDs, groupIDs); err != nil {
				return err
			}
		}
		if mode == GroupsAdd || mode == GroupsReplace {
			if _, err := tx.Exec(ctx, `
INSERT INTO host_group_memberships (host_id, host_group_id)
SELECT h, g FROM unnest($1::uuid[]) AS h, unnest($2::uuid[]) AS g
ORDER BY h, g
ON CONFLICT DO NOTHING`, hostIDs, groupIDs); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `UPDATE hosts SET updated_at = now() WHERE id = ANY($1)`, hostIDs)
		return err
	})
	if err != nil {
		return 0, err
	}
	return len(hostIDs), nil
}

// Saved views of the host list, per user.
const (
	sqlListViews = `
SELECT id, name, state, created_at, updated_at FROM host_list_views WHERE user_id = $1 ORDER BY lower(name), name`
	sqlSaveView = `
INSERT INTO host_list_views (user_id, name, state) VALUES ($1, $2, $3)
ON CONFLICT (user_id, name) DO UPDATE SET state = EXCLUDED.state, updated_at = now()
RETURNING id, name, state, created_at, updated_at`
	sqlDeleteView = `DELETE FROM host_list_views WHERE id = $1 AND user_id = $2`
	sqlCountViews = `SELECT count(*) FROM host_list_views WHERE user_id = $1`
)

// maxViews bounds how many views one user keeps, and maxViewState the size of one.
const (
	maxViews     = 50
	maxViewState = 16 << 10
)

func scanView(r pgx.Row) (openapi.HostView, error) {
	var (
		v     openapi.HostView
		state []byte
	)
	if err := r.Scan(&v.Id, &v.Name, &state, &v.CreatedAt, &v.UpdatedAt); err != nil {
		return v, err
	}
	v.State = map[string]any{}
	return v, json.Unmarshal(state, &v.State)
}

// Views returns a user's saved host-list views by name.
func (s *Service) Views(ctx context.Context, user uuid.UUID) ([]openapi.HostView, error) {
	rows, err := s.db.Pool.Query(ctx, sqlListViews, user)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (openapi.HostView, error) { return scanView(r) })
	if out == nil {
		out = []openapi.HostView{}
	}
	return out, err
}

// SaveView stores a view under name, replacing the user's view of that name.
func (s *Service) SaveView(ctx context.Context, user uuid.UUID, name string, state map[string]any) (openapi.HostView, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return openapi.HostView{}, fieldError("name", "View name must be 1 to 100 characters")
	}
	if state == nil {
		state = map[string]any{}
	}
	b, err := json.Marshal(state)
	if err != nil {
		return openapi.HostView{}, fieldError("state", "View state must be a JSON object")
	}
	if len(b) > maxViewState {
		return openapi.HostView{}, fieldError("state", "View state is too large")
	}
	var n int
	if err := s.db.Pool.QueryRow(ctx, sqlCountViews, user).Scan(&n); err != nil {
		return openapi.HostView{}, err
	}
	if n >= maxViews {
		// Replacing an existing view is still allowed.
		var exists bool
		if err := s.db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM host_list_views WHERE user_id = $1 AND name = $2)`, user, name).Scan(&exists); err != nil {
			return openapi.HostView{}, err
		}
		if !exists {
			return openapi.HostView{}, fieldError("name", "You have 50 saved views; delete one first")
		}
	}
	return scanView(s.db.Pool.QueryRow(ctx, sqlSaveView, user, name, b))
}

// ErrViewNotFound: no saved view with that id for this user.
var ErrViewNotFound = errors.New("inventory: view not found")

// DeleteView deletes one of the user's views.
func (s *Service) DeleteView(ctx context.Context, user, id uuid.UUID) error {
	tag, err := s.db.Pool.Exec(ctx, sqlDeleteView, id, user)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return ErrViewNotFound
	}
	return nil
}

// installVariants renders the four forms of the install one-liner.
func (s *Service) installVariants(ctx context.Context, c Credentials) (openapi.HostInstallCommands, error) {
	st, err := s.ServerSettings(ctx)
	if err != nil {
		return openapi.HostInstallCommands{}, err
	}
	return openapi.HostInstallCommands{
		Standard:          installCommand(st.ServerURL, c, false, false),
		Force:             installCommand(st.ServerURL, c, true, false),
		SelfSigned:        installCommand(st.ServerURL, c, false, true),
		ForceSelfSigned:   installCommand(st.ServerURL, c, true, true),
		SelfSignedDefault: st.IgnoreSSLSelfSigned,
	}, nil
}

// HostsFollowingServerInterval says which hosts take the server's update interval:
// every host (all is true, ids nil) unless some have their own, in which case ids
// lists the others. A change of the server's interval is pushed to those only.
func (s *Service) HostsFollowingServerInterval(ctx context.Context) (ids []uuid.UUID, all bool, err error) {
	var overrides bool
	if err := s.db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM hosts WHERE update_interval IS NOT NULL)`).Scan(&overrides); err != nil {
		return nil, false, err
	}
	if !overrides {
		return nil, true, nil
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT id FROM hosts WHERE update_interval IS NULL ORDER BY id`)
	if err != nil {
		return nil, false, err
	}
	ids, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	return ids, false, err
}
