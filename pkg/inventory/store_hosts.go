package inventory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

// SQL for hosts, settings and integration state. Every statement an agent request runs
// carries the credentials generation the agent was verified with, so a regenerated key
// or a deleted host fails at once even when the verification is cached.
const (
	sqlCredentialRow = `SELECT id, api_key_hash, credentials_generation FROM hosts WHERE api_id = $1`

	sqlInsertHost = `
INSERT INTO hosts (friendly_name, api_id, api_key_hash, docker_enabled, compliance_enabled, notes)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING id`

	sqlHostGroupsByID = `SELECT id, name, color FROM host_groups WHERE id = ANY($1) ORDER BY name`

	sqlInsertMemberships = `
INSERT INTO host_group_memberships (host_id, host_group_id)
SELECT $1, g FROM unnest($2::uuid[]) AS g
ON CONFLICT DO NOTHING`

	sqlRegenerateCredentials = `
UPDATE hosts SET api_id = $2, api_key_hash = $3, credentials_generation = credentials_generation + 1,
       updated_at = now()
WHERE id = $1`

	sqlDeleteHost = `DELETE FROM hosts WHERE id = $1`

	// sqlPing records a check-in and returns what the answer needs. The sub-select
	// returns the status before the update (for agentStartup) and locks the row, so two
	// concurrent pings of one host cannot both see it offline.
	sqlPing = `
UPDATE hosts h SET
    last_checkin_at    = now(),
    status             = CASE WHEN old.status = 'offline' AND h.last_report_at IS NOT NULL
                              THEN 'active' ELSE old.status END,
    agent_version      = COALESCE(NULLIF($3, ''), h.agent_version),
    agent_execution_ms = COALESCE($4, h.agent_execution_ms),
    cpu_cores          = COALESCE($5, h.cpu_cores),
    cpu_model          = COALESCE($6, h.cpu_model),
    ram_installed      = COALESCE($7, h.ram_installed),
    swap_size          = COALESCE($8, h.swap_size),
    disk_details       = COALESCE($9::jsonb, h.disk_details),
    system_uptime      = COALESCE($10, h.system_uptime),
    boot_time          = COALESCE($11, h.boot_time),
    load_average       = COALESCE($12::float8[], h.load_average),
    needs_reboot       = COALESCE($13, h.needs_reboot),
    reboot_reason      = CASE WHEN $13 = false THEN NULL ELSE COALESCE($14, h.reboot_reason) END
FROM (SELECT id, status FROM hosts WHERE id = $1 AND credentials_generation = $2 FOR UPDATE) old
WHERE h.id = old.id
RETURNING old.status, h.friendly_name,
    COALESCE(h.packages_hash, ''), COALESCE(h.repos_hash, ''), COALESCE(h.interfaces_hash, ''),
    COALESCE(h.hostname_hash, ''), COALESCE(h.docker_hash, ''), COALESCE(h.compliance_hash, ''),
    h.docker_enabled, h.compliance_enabled`

	sqlInsertPingHistory = `
INSERT INTO update_history (host_id, report_type, sections, agent_execution_ms, processing_ms)
VALUES ($1, 'ping', $2, $3, $4)`

	sqlAgentSettings = `
SELECT COALESCE(h.update_interval, s.agent_update_interval), s.agent_auto_update, s.ignore_ssl_self_signed, COALESCE(s.server_url, ''),
       h.auto_update, COALESCE(h.agent_version, '')
FROM settings s, hosts h
WHERE s.id = 1 AND h.id = $1 AND h.credentials_generation = $2`

	sqlServerSettings = `
SELECT agent_update_interval, agent_auto_update, ignore_ssl_self_signed, COALESCE(server_url, '')
FROM settings WHERE id = 1`

	sqlHostIntegrations = `
SELECT docker_enabled, compliance_enabled, compliance_mode, compliance_openscap_enabled,
       compliance_docker_bench_enabled
FROM hosts WHERE id = $1 AND credentials_generation = $2`

	sqlUpsertIntegrationStatus = `
INSERT INTO host_integration_status
    (host_id, integration, enabled, status, message, components, scanner_info, install_events, updated_at)
SELECT id, $3, $4, $5, $6, $7, $8, $9, now() FROM hosts WHERE id = $1 AND credentials_generation = $2
ON CONFLICT (host_id, integration) DO UPDATE SET
    enabled = EXCLUDED.enabled, status = EXCLUDED.status, message = EXCLUDED.message,
    components = EXCLUDED.components, scanner_info = EXCLUDED.scanner_info,
    install_events = EXCLUDED.install_events, updated_at = now()`

	sqlMarkOffline = `
UPDATE hosts SET status = 'offline'
WHERE status = 'active' AND last_checkin_at < now() - $1::interval`
)

func (s *Service) credentialRow(ctx context.Context, apiID string) (uuid.UUID, string, int32, error) {
	var (
		id   uuid.UUID
		hash string
		gen  int32
	)
	err := s.db.Pool.QueryRow(ctx, sqlCredentialRow, apiID).Scan(&id, &hash, &gen)
	if errors.Is(err, pgx.ErrNoRows) {
		return uuid.Nil, "", 0, ErrInvalidCredentials
	}
	return id, hash, gen, err
}

// NewHost describes a host to create.
type NewHost struct {
	// FriendlyName is shown in the dashboard. Required.
	FriendlyName string
	// HostGroupIDs are groups to add the host to; each must exist.
	HostGroupIDs []uuid.UUID
	// DockerEnabled and ComplianceEnabled switch the integrations on for the host.
	DockerEnabled     bool
	ComplianceEnabled bool
	// Notes are free text.
	Notes string
}

// HostGroupRef names a group a host belongs to.
type HostGroupRef struct {
	ID    uuid.UUID
	Name  string
	Color string
}

// CreatedHost is a new host with its credentials, the only time the API key is known
// in clear text.
type CreatedHost struct {
	ID           uuid.UUID
	FriendlyName string
	Credentials  Credentials
	Groups       []HostGroupRef
}

// CreateHost creates a host in status pending with fresh credentials.
func (s *Service) CreateHost(ctx context.Context, in NewHost) (CreatedHost, error) {
	name := strings.TrimSpace(in.FriendlyName)
	if name == "" {
		return CreatedHost{}, fieldErrorf(ErrInvalidInput, "friendly_name", "Friendly name is required")
	}
	if len(name) > 255 {
		return CreatedHost{}, fieldErrorf(ErrInvalidInput, "friendly_name", "Friendly name must be at most 255 characters")
	}
	creds, err := newCredentials(s.cfg.APIKeyCost)
	if err != nil {
		return CreatedHost{}, err
	}
	groupIDs := dedupeUUIDs(in.HostGroupIDs)
	out := CreatedHost{FriendlyName: name, Credentials: creds}
	err = s.db.Tx(ctx, func(tx pgx.Tx) error {
		out.Groups = out.Groups[:0]
		if len(groupIDs) > 0 {
			rows, err := tx.Query(ctx, sqlHostGroupsByID, groupIDs)
			if err != nil {
				return err
			}
			out.Groups, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (HostGroupRef, error) {
				var g HostGroupRef
				return g, r.Scan(&g.ID, &g.Name, &g.Color)
			})
			if err != nil {
				return err
			}
			if len(out.Groups) != len(groupIDs) {
				return ErrHostGroupNotFound
			}
		}
		if err := tx.QueryRow(ctx, sqlInsertHost, name, creds.APIID, creds.hash,
			in.DockerEnabled, in.ComplianceEnabled, in.Notes).Scan(&out.ID); err != nil {
			return err
		}
		if len(groupIDs) > 0 {
			if _, err := tx.Exec(ctx, sqlInsertMemberships, out.ID, groupIDs); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return CreatedHost{}, err
	}
	return out, nil
}

func dedupeUUIDs(in []uuid.UUID) []uuid.UUID {
	seen := make(map[uuid.UUID]bool, len(in))
	out := make([]uuid.UUID, 0, len(in))
	for _, id := range in {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// RegenerateCredentials replaces a host's api_id and api_key. The old pair stops working
// at once, cached or not: its cached verification carries the old generation.
func (s *Service) RegenerateCredentials(ctx context.Context, hostID uuid.UUID) (Credentials, error) {
	creds, err := newCredentials(s.cfg.APIKeyCost)
	if err != nil {
		return Credentials{}, err
	}
	tag, err := s.db.Pool.Exec(ctx, sqlRegenerateCredentials, hostID, creds.APIID, creds.hash)
	if err != nil {
		return Credentials{}, err
	}
	if tag.RowsAffected() == 0 {
		return Credentials{}, ErrHostNotFound
	}
	return creds, nil
}

// DeleteHost deletes a host with its packages, repositories links, history and group
// memberships. Its agent is refused from the next request on.
func (s *Service) DeleteHost(ctx context.Context, hostID uuid.UUID) error {
	tag, err := s.db.Pool.Exec(ctx, sqlDeleteHost, hostID)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return ErrHostNotFound
	}
	return nil
}

// PingResult is the outcome of a check-in.
type PingResult struct {
	FriendlyName string
	// AgentStartup is true when the host was pending (never reported) or offline.
	AgentStartup bool
	Integrations agentproto.Integrations
	// RequestFull lists the stale sections (nil for a heartbeat without hashes).
	RequestFull []string
}

// Ping records a check-in. A nil req is a heartbeat. For a check-in with hashes the
// result lists the sections whose stored hash is missing or differs; docker and
// compliance are asked for only when the integration is enabled for the host.
func (s *Service) Ping(ctx context.Context, a Agent, req *agentproto.PingRequest) (PingResult, error) {
	start := time.Now()
	var (
		p       agentproto.PingRequest
		disks   []byte
		version string
	)
	if req != nil {
		p = *req
		version = agentproto.Clean(strings.TrimSpace(p.AgentVersion))
		if p.Metrics.DiskDetails != nil {
			var err error
			if disks, err = json.Marshal(cleanDisks(p.Metrics.DiskDetails)); err != nil {
				return PingResult{}, err
			}
		}
	}
	m := p.Metrics
	var (
		oldStatus     string
		res           PingResult
		stored        agentproto.PingHashes
		docker, compl bool
	)
	// The check-in is committed asynchronously: losing the last fraction of a second of
	// check-in times in a database crash is harmless, and not waiting for the WAL flush
	// is what lets thousands of agents check in per second. Either way it is one round
	// trip.
	args := []any{[16]byte(a.HostID), a.Generation, version, p.AgentExecutionMs,
		m.CPUCores, cleanPtr(m.CPUModel), m.RAMInstalled, m.SwapSize, disks, cleanPtr(m.SystemUptime),
		m.BootTime, m.LoadAverage, m.NeedsReboot, cleanPtr(m.RebootReason)}
	scan := func(row pgx.Row) error {
		return row.Scan(&oldStatus, &res.FriendlyName, &stored.PackagesHash, &stored.ReposHash,
			&stored.InterfacesHash, &stored.HostnameHash, &stored.DockerHash, &stored.ComplianceHash,
			&docker, &compl)
	}
	var err error
	if s.cfg.CheckinPool != nil {
		err = scan(s.cfg.CheckinPool.QueryRow(ctx, sqlPing, args...))
	} else {
		batch := &pgx.Batch{}
		batch.Queue("BEGIN")
		batch.Queue("SET LOCAL synchronous_commit = off")
		batch.Queue(sqlPing, args...).QueryRow(scan)
		batch.Queue("COMMIT")
		err = s.db.Pool.SendBatch(ctx, batch).Close()
	}
	if err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			s.forget(ctx, a)
			return PingResult{}, ErrInvalidCredentials
		}
		return PingResult{}, err
	}
	res.AgentStartup = oldStatus == "pending" || oldStatus == "offline"
	res.Integrations = agentproto.Integrations{Docker: docker, Compliance: compl}
	if req == nil || p.Hashes == (agentproto.PingHashes{}) {
		// A heartbeat, or a check-in from an agent that does not hash: nothing to compare.
		return res, nil
	}
	stale := agentproto.StaleSections(stored, p.Hashes)
	res.RequestFull = stale[:0]
	for _, sec := range stale {
		if (sec == agentproto.SectionDocker && !docker) || (sec == agentproto.SectionCompliance && !compl) {
			continue
		}
		res.RequestFull = append(res.RequestFull, sec)
	}
	if len(res.RequestFull) > 0 {
		ms := float64(time.Since(start).Microseconds()) / 1000
		// History of a check-in is as expendable as its time: it goes through the
		// asynchronously committing check-in pool when there is one, so a wave of stale
		// agents neither waits for WAL flushes nor holds the main pool's connections.
		var execer Execer = s.db.Pool
		if s.cfg.CheckinPool != nil {
			execer = s.cfg.CheckinPool
		}
		if _, err := execer.Exec(ctx, sqlInsertPingHistory, a.HostID, res.RequestFull, p.AgentExecutionMs, ms); err != nil {
			s.log.WarnContext(ctx, "recording check-in history failed", "host_id", a.HostID, "err", err)
		}
	}
	return res, nil
}

// Settings are the server-wide agent settings.
type Settings struct {
	// UpdateInterval is the minutes between agent reports.
	UpdateInterval int
	// AutoUpdate enables agent self-update server-wide (hosts may still opt out).
	AutoUpdate bool
	// IgnoreSSLSelfSigned makes served scripts and installed agents accept self-signed
	// certificates (curl -k, skip_ssl_verify).
	IgnoreSSLSelfSigned bool
	// ServerURL is the base URL written into install and enrollment scripts: the one
	// saved in the settings (pkg/settings), else Config.PublicURL.
	ServerURL string
}

// ServerSettings reads the agent settings.
func (s *Service) ServerSettings(ctx context.Context) (Settings, error) {
	var st Settings
	err := s.db.Pool.QueryRow(ctx, sqlServerSettings).Scan(&st.UpdateInterval, &st.AutoUpdate, &st.IgnoreSSLSelfSigned, &st.ServerURL)
	st.ServerURL = s.serverURL(st.ServerURL)
	return st, err
}

// serverURL returns saved, the URL saved in the settings, or the configured one.
func (s *Service) serverURL(saved string) string {
	if saved == "" {
		return s.cfg.PublicURL
	}
	return strings.TrimRight(saved, "/")
}

// agentSettings is what agent-facing endpoints need beyond the server settings.
type agentSettings struct {
	Settings
	HostAutoUpdate bool
	AgentVersion   string
}

func (s *Service) agentSettings(ctx context.Context, a Agent) (agentSettings, error) {
	var st agentSettings
	err := s.db.Pool.QueryRow(ctx, sqlAgentSettings, a.HostID, a.Generation).Scan(
		&st.UpdateInterval, &st.AutoUpdate, &st.IgnoreSSLSelfSigned, &st.ServerURL, &st.HostAutoUpdate, &st.AgentVersion)
	st.ServerURL = s.serverURL(st.ServerURL)
	if errors.Is(err, pgx.ErrNoRows) {
		s.forget(ctx, a)
		return agentSettings{}, ErrInvalidCredentials
	}
	return st, err
}

// HostIntegrations are a host's integration switches as the agent sees them.
type HostIntegrations struct {
	Docker, Compliance bool
	ComplianceMode     string
	OpenSCAPEnabled    bool
	DockerBenchEnabled bool
}

func (s *Service) integrations(ctx context.Context, a Agent) (HostIntegrations, error) {
	var hi HostIntegrations
	err := s.db.Pool.QueryRow(ctx, sqlHostIntegrations, a.HostID, a.Generation).Scan(
		&hi.Docker, &hi.Compliance, &hi.ComplianceMode, &hi.OpenSCAPEnabled, &hi.DockerBenchEnabled)
	if errors.Is(err, pgx.ErrNoRows) {
		s.forget(ctx, a)
		return HostIntegrations{}, ErrInvalidCredentials
	}
	return hi, err
}

// saveIntegrationStatus records the setup state an agent reports for an integration.
func (s *Service) saveIntegrationStatus(ctx context.Context, a Agent, st agentproto.IntegrationStatusRequest) error {
	var components, scanner, events []byte
	var err error
	if st.Components != nil {
		if components, err = json.Marshal(st.Components); err != nil {
			return err
		}
	}
	if len(st.ScannerInfo) > 0 && string(st.ScannerInfo) != "null" {
		scanner = []byte(agentproto.Clean(string(st.ScannerInfo)))
	}
	if st.InstallEvents != nil {
		if events, err = json.Marshal(st.InstallEvents); err != nil {
			return err
		}
	}
	tag, err := s.db.Pool.Exec(ctx, sqlUpsertIntegrationStatus, a.HostID, a.Generation,
		agentproto.Clean(st.Integration), st.Enabled, st.Status, agentproto.Clean(st.Message),
		jsonbArg(components), jsonbArg(scanner), jsonbArg(events))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		s.forget(ctx, a)
		return ErrInvalidCredentials
	}
	return nil
}

// MarkOffline marks active hosts that have not checked in for longer than after as
// offline and returns how many changed. Run it periodically.
func (s *Service) MarkOffline(ctx context.Context, after time.Duration) (int64, error) {
	if after <= 0 {
		return 0, fmt.Errorf("inventory: MarkOffline: after must be positive")
	}
	tag, err := s.db.Pool.Exec(ctx, sqlMarkOffline, after)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}
