package reports

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/patchmon-go/patchmon/pkg/db"
)

const scheduleColumns = `s.id, s.name, s.enabled, s.cron, s.timezone, s.format, s.top_packages, s.host_group_ids,
	s.destination_ids, s.next_run_at, s.last_run_at, s.created_at, s.updated_at`

const runColumns = `r.id, r.schedule_id, r.trigger, r.status, r.format, r.error, r.size_bytes, r.host_count, r.deliveries,
	r.started_at, r.finished_at`

func scanRun(row pgx.Row) (Run, error) {
	var r Run
	err := row.Scan(&r.ID, &r.ScheduleID, &r.Trigger, &r.Status, &r.Format, &r.Error, &r.SizeBytes, &r.HostCount,
		&r.Deliveries, &r.StartedAt, &r.FinishedAt)
	return r, err
}

func (s *Service) listSchedules(ctx context.Context, id *uuid.UUID) ([]Schedule, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+scheduleColumns+`, lr.id
FROM report_schedules s
LEFT JOIN LATERAL (SELECT id FROM report_runs r WHERE r.schedule_id = s.id ORDER BY seq DESC LIMIT 1) lr ON true
WHERE $1::uuid IS NULL OR s.id = $1
ORDER BY lower(s.name), s.id`, id)
	if err != nil {
		return nil, err
	}
	var out []Schedule
	var last []*uuid.UUID
	for rows.Next() {
		var x Schedule
		var lr *uuid.UUID
		if err := rows.Scan(&x.ID, &x.Name, &x.Enabled, &x.Cron, &x.Timezone, &x.Format, &x.TopPackages, &x.HostGroupIDs,
			&x.DestinationIDs, &x.NextRunAt, &x.LastRunAt, &x.CreatedAt, &x.UpdatedAt, &lr); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, x)
		last = append(last, lr)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, lr := range last {
		if lr != nil {
			r, err := s.getRun(ctx, *lr)
			if err != nil {
				return nil, err
			}
			out[i].LastRun = &r
		}
	}
	return out, nil
}

func (s *Service) saveSchedule(ctx context.Context, id uuid.UUID, in ScheduleInput, create bool) error {
	var next *time.Time
	if in.Enabled {
		t, err := nextRun(in.Cron, in.Timezone, s.now())
		if err != nil {
			return err
		}
		next = &t
	}
	return s.db.Tx(ctx, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM notification_destinations WHERE id = ANY($1)`, in.DestinationIDs).Scan(&n); err != nil {
			return err
		}
		if n != len(in.DestinationIDs) {
			return invalid("destination_ids", "Unknown destination")
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM host_groups WHERE id = ANY($1)`, in.HostGroupIDs).Scan(&n); err != nil {
			return err
		}
		if n != len(in.HostGroupIDs) {
			return invalid("host_group_ids", "Unknown host group")
		}
		var err error
		if create {
			_, err = tx.Exec(ctx, `INSERT INTO report_schedules (id, name, enabled, cron, timezone, format, top_packages,
				host_group_ids, destination_ids, next_run_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
				id, in.Name, in.Enabled, in.Cron, in.Timezone, in.Format, *in.TopPackages, in.HostGroupIDs, in.DestinationIDs, next)
		} else {
			var tag interface{ RowsAffected() int64 }
			tag, err = tx.Exec(ctx, `UPDATE report_schedules SET name = $2, enabled = $3, cron = $4, timezone = $5, format = $6,
				top_packages = $7, host_group_ids = $8, destination_ids = $9, next_run_at = $10, updated_at = now() WHERE id = $1`,
				id, in.Name, in.Enabled, in.Cron, in.Timezone, in.Format, *in.TopPackages, in.HostGroupIDs, in.DestinationIDs, next)
			if err == nil && tag.RowsAffected() == 0 {
				return ErrScheduleNotFound
			}
		}
		if db.IsUniqueViolation(err, "report_schedules_name_key") {
			return ErrNameTaken
		}
		return err
	})
}

func (s *Service) deleteSchedule(ctx context.Context, id uuid.UUID) (string, error) {
	var name string
	err := s.db.Pool.QueryRow(ctx, `DELETE FROM report_schedules WHERE id = $1 RETURNING name`, id).Scan(&name)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", ErrScheduleNotFound
	}
	return name, err
}

func (s *Service) insertRun(ctx context.Context, scheduleID uuid.UUID, trigger, format string) (uuid.UUID, error) {
	var id uuid.UUID
	err := s.db.Pool.QueryRow(ctx, `INSERT INTO report_runs (schedule_id, trigger, format, started_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		scheduleID, trigger, format, s.now()).Scan(&id)
	return id, err
}

// claimDue takes one due schedule, moves it to its next run time and records a run, in
// one transaction; SKIP LOCKED keeps two replicas from taking the same schedule.
func (s *Service) claimDue(ctx context.Context) (Schedule, uuid.UUID, bool, error) {
	var sch Schedule
	var runID uuid.UUID
	found := false
	err := s.db.Tx(ctx, func(tx pgx.Tx) error {
		found = false
		var id uuid.UUID
		err := tx.QueryRow(ctx, `SELECT id FROM report_schedules WHERE enabled AND next_run_at <= $1
			ORDER BY next_run_at LIMIT 1 FOR UPDATE SKIP LOCKED`, s.now()).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `SELECT `+scheduleColumns+` FROM report_schedules s WHERE s.id = $1`, id).Scan(
			&sch.ID, &sch.Name, &sch.Enabled, &sch.Cron, &sch.Timezone, &sch.Format, &sch.TopPackages, &sch.HostGroupIDs,
			&sch.DestinationIDs, &sch.NextRunAt, &sch.LastRunAt, &sch.CreatedAt, &sch.UpdatedAt)
		if err != nil {
			return err
		}
		var next *time.Time
		if t, err := nextRun(sch.Cron, sch.Timezone, s.now()); err == nil {
			next = &t
		} else {
			s.log.WarnContext(ctx, "report schedule has an invalid cron expression; it will not run again", "schedule", sch.Name, "err", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE report_schedules SET next_run_at = $2, last_run_at = $3 WHERE id = $1`, id, next, s.now()); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO report_runs (schedule_id, trigger, format, started_at) VALUES ($1, $2, $3, $4) RETURNING id`,
			id, TriggerSchedule, sch.Format, s.now()).Scan(&runID); err != nil {
			return err
		}
		found = true
		return nil
	})
	return sch, runID, found, err
}

func (s *Service) finishRun(ctx context.Context, r Run) error {
	_, err := s.db.Pool.Exec(ctx, `UPDATE report_runs SET status = $2, error = $3, size_bytes = $4, host_count = $5,
		deliveries = $6, finished_at = $7 WHERE id = $1`, r.ID, r.Status, r.Error, r.SizeBytes, r.HostCount, r.Deliveries, r.FinishedAt)
	return err
}

func (s *Service) getRun(ctx context.Context, id uuid.UUID) (Run, error) {
	return scanRun(s.db.Pool.QueryRow(ctx, `SELECT `+runColumns+` FROM report_runs r WHERE r.id = $1`, id))
}

func (s *Service) listRuns(ctx context.Context, scheduleID uuid.UUID, limit int) ([]Run, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+runColumns+` FROM report_runs r WHERE r.schedule_id = $1
		ORDER BY r.seq DESC LIMIT $2`, scheduleID, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Run, error) { return scanRun(row) })
}

// generate reads the fleet: hosts (optionally only members of groups) with their
// counters, and the packages most hosts need to update.
func (s *Service) generate(ctx context.Context, groups []uuid.UUID, top int) (*Report, error) {
	r := &Report{GeneratedAt: s.now(), HostGroups: []string{}, Hosts: []HostRow{}, TopPackages: []PackageRow{}}
	if len(groups) > 0 {
		rows, err := s.db.Pool.Query(ctx, `SELECT name FROM host_groups WHERE id = ANY($1) ORDER BY lower(name)`, groups)
		if err != nil {
			return nil, err
		}
		if r.HostGroups, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return nil, err
		}
	}
	const scope = `(cardinality($1::uuid[]) = 0 OR EXISTS (SELECT 1 FROM host_group_memberships m
		WHERE m.host_id = h.id AND m.host_group_id = ANY ($1)))`
	rows, err := s.db.Pool.Query(ctx, `
SELECT h.id, h.friendly_name, coalesce(h.hostname, ''), coalesce(h.ip, ''), coalesce(h.os_type, ''), coalesce(h.os_version, ''),
       h.status, h.last_checkin_at, h.total_packages, h.outdated_packages, h.security_updates, h.needs_reboot,
       coalesce((SELECT array_agg(g.name ORDER BY lower(g.name)) FROM host_group_memberships m
                 JOIN host_groups g ON g.id = m.host_group_id WHERE m.host_id = h.id), '{}')
FROM hosts h
WHERE `+scope+`
ORDER BY h.security_updates DESC, h.outdated_packages DESC, lower(h.friendly_name), h.id`, groups)
	if err != nil {
		return nil, err
	}
	r.Hosts, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (HostRow, error) {
		var h HostRow
		err := row.Scan(&h.ID, &h.Name, &h.Hostname, &h.IP, &h.OSType, &h.OSVersion, &h.Status, &h.LastCheckin,
			&h.TotalPackages, &h.OutdatedPackages, &h.SecurityUpdates, &h.NeedsReboot, &h.Groups)
		return h, err
	})
	if err != nil {
		return nil, err
	}
	for _, h := range r.Hosts {
		r.Summary.Hosts++
		if h.OutdatedPackages > 0 {
			r.Summary.HostsNeedingUpdates++
		}
		if h.SecurityUpdates > 0 {
			r.Summary.HostsWithSecurityUpdates++
		}
		if h.NeedsReboot {
			r.Summary.HostsNeedingReboot++
		}
		if h.Status == "offline" {
			r.Summary.OfflineHosts++
		}
		r.Summary.OutdatedPackages += h.OutdatedPackages
		r.Summary.SecurityUpdates += h.SecurityUpdates
	}
	if top == 0 {
		return r, nil
	}
	rows, err = s.db.Pool.Query(ctx, `
SELECT p.name, p.latest_version, count(*) AS hosts, count(*) FILTER (WHERE hp.is_security_update) AS security
FROM host_packages hp
JOIN packages p ON p.id = hp.package_id
JOIN hosts h ON h.id = hp.host_id
WHERE hp.needs_update AND `+scope+`
GROUP BY p.id
ORDER BY security DESC, hosts DESC, p.name
LIMIT $2`, groups, top)
	if err != nil {
		return nil, err
	}
	r.TopPackages, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (PackageRow, error) {
		var p PackageRow
		err := row.Scan(&p.Name, &p.LatestVersion, &p.Hosts, &p.SecurityHosts)
		return p, err
	})
	return r, err
}

// DestinationRef names a notify destination a schedule may use.
type DestinationRef struct {
	ID      uuid.UUID
	Name    string
	Type    string
	Enabled bool
}

// GroupRef names a host group.
type GroupRef struct {
	ID   uuid.UUID
	Name string
}

// Options lists the destinations and host groups the schedule editor offers.
func (s *Service) Options(ctx context.Context) ([]DestinationRef, []GroupRef, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT id, name, type, enabled FROM notification_destinations ORDER BY lower(name)`)
	if err != nil {
		return nil, nil, err
	}
	dests, err := pgx.CollectRows(rows, pgx.RowToStructByPos[DestinationRef])
	if err != nil {
		return nil, nil, err
	}
	rows, err = s.db.Pool.Query(ctx, `SELECT id, name FROM host_groups ORDER BY lower(name)`)
	if err != nil {
		return nil, nil, err
	}
	groups, err := pgx.CollectRows(rows, pgx.RowToStructByPos[GroupRef])
	return dests, groups, err
}
