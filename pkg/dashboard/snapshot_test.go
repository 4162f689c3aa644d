package dashboard_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
	"github.com/patchmon-go/patchmon/pkg/dashboard"
	"github.com/patchmon-go/patchmon/pkg/db"
	"github.com/patchmon-go/patchmon/pkg/dbmigrate"
)

func TestSnapshotIfStale(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool, err := pgxpool.New(ctx, patchmontest.DatabaseURL(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	mig, err := dbmigrate.New(pool, dbmigrate.Config{SkipRiver: true})
	require.NoError(t, err)
	_, err = mig.Up(ctx)
	require.NoError(t, err)

	now := time.Now()
	taken := 0
	svc, err := dashboard.New(dashboard.Config{
		DB:  db.New(pool, db.Options{}),
		Now: func() time.Time { return now },
		Snapshot: func(ctx context.Context) error {
			taken++
			_, err := pool.Exec(ctx, `INSERT INTO fleet_stats_snapshots (captured_at, total_hosts, active_hosts,
				pending_hosts, offline_hosts, hosts_needing_updates, hosts_with_security_updates, hosts_needing_reboot,
				total_packages, outdated_packages, security_packages, outdated_installs, security_installs)
				VALUES ($1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)`, now)
			return err
		},
	})
	require.NoError(t, err)

	last, err := svc.LatestSnapshot(ctx)
	require.NoError(t, err)
	assert.True(t, last.IsZero(), "no snapshot yet")
	took, err := svc.SnapshotIfStale(ctx, 30*time.Minute)
	require.NoError(t, err)
	assert.True(t, took, "none at all is stale")

	now = now.Add(29 * time.Minute)
	took, err = svc.SnapshotIfStale(ctx, 30*time.Minute)
	require.NoError(t, err)
	assert.False(t, took, "29 minutes old is fresh")

	now = now.Add(2 * time.Minute)
	took, err = svc.SnapshotIfStale(ctx, 30*time.Minute)
	require.NoError(t, err)
	assert.True(t, took)
	assert.Equal(t, 2, taken)

	_, err = (&dashboard.Service{}).SnapshotIfStale(ctx, time.Minute)
	assert.Error(t, err, "a service without Config.Snapshot refuses")
}
