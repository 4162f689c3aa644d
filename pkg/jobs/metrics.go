package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
)

// MetricsConfig configures a MetricsReporter.
type MetricsConfig struct {
	// Pool is the database. Required.
	Pool *pgxpool.Pool
	// URL receives the report as a JSON POST. Default: "" (enabled reporting records that no
	// endpoint is configured).
	URL string
	// Version is this server's version, part of the report. Default: "".
	Version string
	// Client sends the report. Default: a client with a 30-second timeout.
	Client *http.Client
}

// MetricsReporter sends the anonymous usage report (instance id, number of hosts, server
// version) once a day, but only after an administrator turned reporting on.
type MetricsReporter struct{ cfg MetricsConfig }

// MetricsSettings are the reporting switch and identity.
type MetricsSettings struct {
	Enabled    bool
	InstanceID uuid.UUID
	LastSentAt *time.Time
	LastError  string
}

// MetricsReport is the body sent.
type MetricsReport struct {
	InstanceID uuid.UUID `json:"instance_id"`
	HostCount  int64     `json:"host_count"`
	Version    string    `json:"version"`
}

// NewMetricsReporter builds a MetricsReporter.
func NewMetricsReporter(cfg MetricsConfig) (*MetricsReporter, error) {
	if cfg.Pool == nil {
		return nil, errors.New("jobs: MetricsConfig.Pool is required")
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 30 * time.Second}
	}
	return &MetricsReporter{cfg: cfg}, nil
}

const (
	sqlMetricsSettings = `SELECT metrics_enabled, instance_id, metrics_last_sent_at, metrics_last_error FROM settings WHERE id = 1`
	sqlMetricsEnable   = `UPDATE settings SET metrics_enabled = $1, updated_at = now() WHERE id = 1`
	sqlMetricsNewID    = `UPDATE settings SET instance_id = gen_random_uuid(), updated_at = now() WHERE id = 1`
	sqlMetricsResult   = `UPDATE settings SET metrics_last_sent_at = CASE WHEN $1 = '' THEN now() ELSE metrics_last_sent_at END,
metrics_last_error = $1 WHERE id = 1`
	sqlHostCount = `SELECT count(*) FROM hosts`
)

// Settings returns the reporting settings.
func (m *MetricsReporter) Settings(ctx context.Context) (MetricsSettings, error) {
	var s MetricsSettings
	err := m.cfg.Pool.QueryRow(ctx, sqlMetricsSettings).Scan(&s.Enabled, &s.InstanceID, &s.LastSentAt, &s.LastError)
	return s, err
}

// SetEnabled turns reporting on or off.
func (m *MetricsReporter) SetEnabled(ctx context.Context, on bool) (MetricsSettings, error) {
	if _, err := m.cfg.Pool.Exec(ctx, sqlMetricsEnable, on); err != nil {
		return MetricsSettings{}, err
	}
	return m.Settings(ctx)
}

// RegenerateID gives the installation a new instance id.
func (m *MetricsReporter) RegenerateID(ctx context.Context) (MetricsSettings, error) {
	if _, err := m.cfg.Pool.Exec(ctx, sqlMetricsNewID); err != nil {
		return MetricsSettings{}, err
	}
	return m.Settings(ctx)
}

// Report sends the report when reporting is on; it does nothing when it is off. A failed
// send is an error of the job, which retries it.
func (m *MetricsReporter) Report(ctx context.Context) error {
	s, err := m.Settings(ctx)
	if err != nil {
		return err
	}
	if !s.Enabled {
		Printf(ctx, "anonymous metrics reporting is off")
		return nil
	}
	sendErr := m.send(ctx, s)
	msg := ""
	if sendErr != nil {
		msg = sendErr.Error()
	}
	if _, err := m.cfg.Pool.Exec(ctx, sqlMetricsResult, msg); err != nil {
		return errors.Join(sendErr, err)
	}
	return sendErr
}

func (m *MetricsReporter) send(ctx context.Context, s MetricsSettings) error {
	if m.cfg.URL == "" {
		return errors.New("no metrics endpoint is configured (METRICS_URL)")
	}
	rep := MetricsReport{InstanceID: s.InstanceID, Version: m.cfg.Version}
	if err := m.cfg.Pool.QueryRow(ctx, sqlHostCount).Scan(&rep.HostCount); err != nil {
		return err
	}
	body, _ := json.Marshal(rep)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := m.cfg.Client.Do(req)
	if err != nil {
		return fmt.Errorf("send metrics: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("send metrics: %s answered %d", m.cfg.URL, res.StatusCode)
	}
	Printf(ctx, "reported %d hosts for instance %s", rep.HostCount, rep.InstanceID)
	return nil
}
