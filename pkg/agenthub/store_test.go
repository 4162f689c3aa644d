package agenthub_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/pkg/agenthub"
	"github.com/patchmon-go/patchmon/pkg/db"
	"github.com/patchmon-go/patchmon/pkg/inventory"
)

func seedHosts(t *testing.T, d *db.DB, n int) []agenthub.HostRef {
	t.Helper()
	hosts := make([]agenthub.HostRef, n)
	for i := range hosts {
		hosts[i].APIID = fmt.Sprintf("patchmon_%s", uuid.NewString())
		require.NoError(t, d.Pool.QueryRow(context.Background(),
			`INSERT INTO hosts (friendly_name, api_id, api_key_hash) VALUES ($1, $2, 'x') RETURNING id`,
			fmt.Sprintf("lock-%d", i), hosts[i].APIID).Scan(&hosts[i].ID))
	}
	return hosts
}

// Presence writes for many hosts at once race host deletions, single and bulk,
// the way an administrator deleting hosts races agents that come and go. The
// database must never have to break a deadlock: no statement on either side may
// fail with 40P01, and every write for a host that still exists is applied.
func TestPresenceWritesNeverDeadlockWithHostDeletion(t *testing.T) {
	t.Parallel()
	d, _ := testDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for round := range 6 {
		hosts := seedHosts(t, d, 60)
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		// Writers: the presence batches of two replicas, each in its own host order.
		for w := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for pass := range 4 {
					ops := make([]agenthub.PresenceWrite, len(hosts))
					for i := range hosts {
						h := hosts[i]
						if (w+pass)%2 == 1 {
							h = hosts[len(hosts)-1-i]
						}
						ops[i] = agenthub.PresenceWrite{Online: pass%2 == 0, Host: h, ConnID: fmt.Sprintf("c%d", w), At: time.Now(), Reason: "test"}
					}
					if _, err := agenthub.ApplyPresence(ctx, d, fmt.Sprintf("replica-%d", w), ops); err != nil {
						errs <- err
					}
				}
			}()
		}
		// Deleters: one by one from the end, and in bulk from the start.
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := len(hosts) - 1; i >= len(hosts)/2; i -= 3 {
				if _, err := d.Pool.Exec(ctx, `DELETE FROM hosts WHERE id = $1`, hosts[i].ID); err != nil {
					errs <- err
				}
			}
		}()
		go func() {
			defer wg.Done()
			ids := make([]uuid.UUID, 0, len(hosts)/2)
			for _, h := range hosts[:len(hosts)/2] {
				ids = append(ids, h.ID)
			}
			if _, err := inventory.DeleteHosts(ctx, d.Pool, ids); err != nil {
				errs <- err
			}
		}()
		wg.Wait()
		close(errs)
		for err := range errs {
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) {
				assert.NotEqual(t, "40P01", pgErr.Code, "round %d: %v", round, err)
			}
			assert.NoError(t, err, "round %d", round)
		}
		_, err := d.Pool.Exec(ctx, `DELETE FROM hosts WHERE friendly_name LIKE 'lock-%'`)
		require.NoError(t, err)
	}
}

// A write for a host that is gone is not applied and is not an error.
func TestPresenceWriteForDeletedHost(t *testing.T) {
	t.Parallel()
	d, _ := testDB(t)
	ctx := context.Background()
	hosts := seedHosts(t, d, 3)
	_, err := d.Pool.Exec(ctx, `DELETE FROM hosts WHERE id = $1`, hosts[1].ID)
	require.NoError(t, err)
	now := time.Now()
	res, err := agenthub.ApplyPresence(ctx, d, "r", []agenthub.PresenceWrite{
		{Online: true, Host: hosts[0], ConnID: "a", At: now, Secure: true, RemoteAddr: "10.0.0.1"},
		{Online: true, Host: hosts[1], ConnID: "b", At: now},
		{Online: true, Host: hosts[2], ConnID: "c", At: now},
		{Online: false, Host: hosts[2], ConnID: "c", At: now.Add(time.Second), Reason: agenthub.ReasonClosed},
	})
	require.NoError(t, err)
	assert.Equal(t, []agenthub.PresenceOutcome{
		{Applied: true, Previous: agenthub.StatusOffline},
		{Applied: false, Previous: agenthub.StatusOffline},
		{Applied: true, Previous: agenthub.StatusOffline},
		{Applied: true, Previous: agenthub.StatusOnline},
	}, res)
	var secure bool
	var addr string
	require.NoError(t, d.Pool.QueryRow(ctx, `SELECT secure, remote_addr FROM agent_presence WHERE host_id = $1`, hosts[0].ID).Scan(&secure, &addr))
	assert.True(t, secure)
	assert.Equal(t, "10.0.0.1", addr)
}
