package jobs

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Resolver looks up DNS TXT records; *net.Resolver is one.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// VersionCheckConfig configures a VersionChecker.
type VersionCheckConfig struct {
	// Pool is the database (the settings row keeps the versions). Required.
	Pool *pgxpool.Pool
	// ServerRecord and AgentRecord are the TXT record names holding the latest versions.
	// Default: server.vcheck.patchmon.net and agent.vcheck.patchmon.net.
	ServerRecord, AgentRecord string
	// Resolver. Default: net.DefaultResolver.
	Resolver Resolver
	// CurrentVersion is this server's version. Default: "".
	CurrentVersion string
}

// VersionChecker reads the latest server and agent versions from DNS TXT records.
type VersionChecker struct{ cfg VersionCheckConfig }

// VersionStatus is what the last check found.
type VersionStatus struct {
	CurrentVersion      string
	LatestServerVersion string // "" until a lookup succeeded
	LatestAgentVersion  string
	CheckedAt           *time.Time
	// Error says why the last lookup failed ("" after a success).
	Error string
}

// ServerUpdateAvailable reports whether the latest server version is newer than this one.
func (v VersionStatus) ServerUpdateAvailable() bool {
	return v.LatestServerVersion != "" && semverRE.MatchString(strings.TrimPrefix(v.CurrentVersion, "v")) &&
		compareSemver(strings.TrimPrefix(v.CurrentVersion, "v"), v.LatestServerVersion) < 0
}

// NewVersionChecker builds a VersionChecker.
func NewVersionChecker(cfg VersionCheckConfig) (*VersionChecker, error) {
	if cfg.Pool == nil {
		return nil, errors.New("jobs: VersionCheckConfig.Pool is required")
	}
	if cfg.ServerRecord == "" {
		cfg.ServerRecord = "server.vcheck.patchmon.net"
	}
	if cfg.AgentRecord == "" {
		cfg.AgentRecord = "agent.vcheck.patchmon.net"
	}
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	return &VersionChecker{cfg: cfg}, nil
}

// semverRE is the version format accepted from a TXT record.
var semverRE = regexp.MustCompile(`^\d+\.\d+\.\d+`)

const (
	sqlVersionOK = `UPDATE settings SET latest_server_version = COALESCE(NULLIF($1, ''), latest_server_version),
latest_agent_version = COALESCE(NULLIF($2, ''), latest_agent_version), version_checked_at = now(), version_check_error = $3,
updated_at = now() WHERE id = 1`
	sqlVersionStatus = `SELECT latest_server_version, latest_agent_version, version_checked_at, version_check_error FROM settings WHERE id = 1`
)

// Check looks both records up and stores what it finds. A failed lookup keeps the last known
// version and is recorded as the check's error, but is not an error of the job: an
// installation without Internet access is normal.
func (v *VersionChecker) Check(ctx context.Context) error {
	server, serr := v.lookup(ctx, v.cfg.ServerRecord)
	agent, aerr := v.lookup(ctx, v.cfg.AgentRecord)
	var msgs []string
	for _, e := range []error{serr, aerr} {
		if e != nil {
			msgs = append(msgs, e.Error())
		}
	}
	if _, err := v.cfg.Pool.Exec(ctx, sqlVersionOK, server, agent, strings.Join(msgs, "; ")); err != nil {
		return fmt.Errorf("jobs: store versions: %w", err)
	}
	Printf(ctx, "server %s, agent %s", orUnknown(server, serr), orUnknown(agent, aerr))
	return nil
}

func orUnknown(v string, err error) string {
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	return v
}

func (v *VersionChecker) lookup(ctx context.Context, name string) (string, error) {
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	txts, err := v.cfg.Resolver.LookupTXT(lctx, name)
	if err != nil {
		return "", err // the resolver's error names the record
	}
	for _, t := range txts {
		t = strings.TrimPrefix(strings.TrimSpace(t), "v")
		if m := semverRE.FindString(t); m != "" && m == t {
			return t, nil
		}
	}
	return "", fmt.Errorf("lookup %s: no version in TXT record %q", name, txts)
}

// Status returns the versions found by the last successful lookups.
func (v *VersionChecker) Status(ctx context.Context) (VersionStatus, error) {
	st := VersionStatus{CurrentVersion: v.cfg.CurrentVersion}
	err := v.cfg.Pool.QueryRow(ctx, sqlVersionStatus).Scan(&st.LatestServerVersion, &st.LatestAgentVersion, &st.CheckedAt, &st.Error)
	return st, err
}

// compareSemver compares two x.y.z versions numerically.
func compareSemver(a, b string) int {
	var x, y [3]int
	fmt.Sscanf(a, "%d.%d.%d", &x[0], &x[1], &x[2])
	fmt.Sscanf(b, "%d.%d.%d", &y[0], &y[1], &y[2])
	for i := range x {
		if x[i] != y[i] {
			if x[i] < y[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}
