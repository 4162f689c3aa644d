package patchmon_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
	"github.com/patchmon-go/patchmon/pkg/notify"
)

// An alert raised by the host status monitor reaches a webhook destination through the
// route that matches it, delivered by the notification job on River.
func TestAlertsReachNotificationDestinations(t *testing.T) {
	t.Parallel()
	var (
		mu     sync.Mutex
		bodies []string
	)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
	}))
	t.Cleanup(receiver.Close)
	received := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), bodies...)
	}

	cfg := testConfig()
	cfg.DNSResolver = &txtResolver{records: map[string][]string{}}
	srv := patchmontest.NewServer(t, cfg)
	ctx := context.Background()
	ns := srv.Notify()
	require.NotNil(t, ns)
	name := "ops webhook"
	d, err := ns.CreateDestination(ctx, notify.DestinationInput{Name: &name, Type: notify.TypeWebhook,
		Config: &notify.DestinationConfig{URL: receiver.URL}})
	require.NoError(t, err)
	_, err = ns.CreateRoute(ctx, notify.RouteInput{Name: "hosts down", Enabled: true, EventTypes: []string{notify.EventHostDown},
		MinSeverity: notify.SeverityWarning, DestinationIDs: []uuid.UUID{d.ID}})
	require.NoError(t, err)

	_, err = srv.Pool().Exec(ctx, `INSERT INTO hosts (friendly_name, api_id, api_key_hash, status, last_checkin_at)
		VALUES ('db-07', 'patchmon_db07', 'x', 'active', now() - interval '2 hours')`)
	require.NoError(t, err)
	require.NoError(t, srv.Alerts().Monitor(ctx))

	_, err = srv.Jobs().RunNow(ctx, "notification-delivery")
	require.NoError(t, err)
	waitUntil(t, "the webhook delivery", func() bool { return len(received()) > 0 })
	got := received()
	require.Len(t, got, 1)
	assert.Contains(t, got[0], `"event":"host_down"`)
	assert.Contains(t, got[0], "db-07")
	assert.True(t, strings.Contains(got[0], `"severity":"critical"`), got[0])
}
