package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
	"github.com/patchmon-go/patchmon/pkg/db"
	"github.com/patchmon-go/patchmon/pkg/dbmigrate"
	"github.com/patchmon-go/patchmon/pkg/notify"
	"github.com/patchmon-go/patchmon/pkg/notify/notifytest"
	"github.com/patchmon-go/patchmon/pkg/secretbox"
)

func TestMain(m *testing.M) { patchmontest.Main(m) }

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	svc   *notify.Service
	pool  *pgxpool.Pool
	box   *secretbox.Box
	clock *clock
	db    *db.DB
}

func newService(t testing.TB, e env) *notify.Service {
	svc, err := notify.New(notify.Config{DB: e.db, Secrets: e.box, Now: e.clock.Now, Logger: patchmontest.Logger(t),
		SendTimeout: 5 * time.Second})
	require.NoError(t, err)
	return svc
}

func setup(t testing.TB) env {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, patchmontest.DatabaseURL(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	mig, err := dbmigrate.New(pool, dbmigrate.Config{SkipRiver: true})
	require.NoError(t, err)
	_, err = mig.Up(ctx)
	require.NoError(t, err)
	box, err := secretbox.New(secretbox.Config{AIEncryptionKey: "test key"})
	require.NoError(t, err)
	e := env{pool: pool, box: box, clock: &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}, db: db.New(pool, db.Options{})}
	e.svc = newService(t, e)
	return e
}

func ptr[T any](v T) *T { return &v }

func (e env) dest(t *testing.T, name string, typ notify.DestinationType, cfg notify.DestinationConfig, sec *notify.SecretsInput) notify.Destination {
	t.Helper()
	d, err := e.svc.CreateDestination(context.Background(), notify.DestinationInput{Name: &name, Type: typ, Config: &cfg, Secrets: sec})
	require.NoError(t, err)
	return d
}

func TestWebhookSignatureVerifies(t *testing.T) {
	t.Parallel()
	e := setup(t)
	rcv := notifytest.NewReceiver(t)
	d := e.dest(t, "Ops hook", notify.TypeWebhook, notify.DestinationConfig{URL: rcv.URL + "/hook"},
		&notify.SecretsInput{SigningSecret: ptr("s3cret-signing"), Headers: &map[string]string{"authorization": "Bearer abc"}})

	res, err := e.svc.SendTest(context.Background(), d.ID)
	require.NoError(t, err)
	require.True(t, res.Succeeded, res.Error)
	require.NotNil(t, res.ResponseCode)
	assert.Equal(t, 200, *res.ResponseCode)

	reqs := rcv.Requests()
	require.Len(t, reqs, 1)
	r := reqs[0]
	assert.Equal(t, "/hook", r.Path)
	assert.Equal(t, "Bearer abc", r.Header.Get("Authorization"))
	assert.Equal(t, "test", r.Header.Get(notify.HeaderEvent))
	assert.Equal(t, res.DeliveryID.String(), r.Header.Get(notify.HeaderDelivery))
	ts := r.Header.Get(notify.HeaderTimestamp)
	require.NoError(t, notify.VerifySignature("s3cret-signing", ts, r.Header.Get(notify.HeaderSignature), r.Body, 5*time.Minute, e.clock.Now()))
	assert.ErrorIs(t, notify.VerifySignature("other", ts, r.Header.Get(notify.HeaderSignature), r.Body, 0, e.clock.Now()), notify.ErrBadSignature)
	assert.ErrorIs(t, notify.VerifySignature("s3cret-signing", ts, r.Header.Get(notify.HeaderSignature), append(r.Body, ' '), 0, e.clock.Now()), notify.ErrBadSignature)
	assert.ErrorIs(t, notify.VerifySignature("s3cret-signing", ts, r.Header.Get(notify.HeaderSignature), r.Body, time.Minute, e.clock.Now().Add(time.Hour)), notify.ErrStaleTimestamp)

	var p notify.WebhookPayload
	require.NoError(t, json.Unmarshal(r.Body, &p))
	assert.Equal(t, res.DeliveryID, p.ID)
	assert.Equal(t, "test", p.Event)
	assert.Equal(t, notify.SeverityInformational, p.Severity)
	assert.Contains(t, p.Message, "Ops hook")

	// Without a signing secret there is no signature header.
	d2 := e.dest(t, "Unsigned", notify.TypeWebhook, notify.DestinationConfig{URL: rcv.URL}, nil)
	_, err = e.svc.SendTest(context.Background(), d2.ID)
	require.NoError(t, err)
	assert.Empty(t, rcv.Requests()[1].Header.Get(notify.HeaderSignature))
}

// TestPayloadFormats sends one event to every HTTP destination type and checks each
// receiver got the format its service expects.
func TestPayloadFormats(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	rcv := notifytest.NewReceiver(t)
	host := uuid.New()
	ev := notify.Event{Type: notify.EventHostDown, Severity: notify.SeverityCritical, HostID: &host, HostName: "web-01",
		Title: "web-01 is down", Message: "No check-in for 10 minutes", URL: "https://pm.example/hosts/1"}

	for _, tc := range []struct {
		typ   notify.DestinationType
		cfg   notify.DestinationConfig
		sec   *notify.SecretsInput
		check func(t *testing.T, r notifytest.Request)
	}{
		{notify.TypeSlack, notify.DestinationConfig{}, &notify.SecretsInput{WebhookURL: ptr(rcv.URL + "/slack/T000/B000/XXXX")}, func(t *testing.T, r notifytest.Request) {
			assert.Equal(t, "/slack/T000/B000/XXXX", r.Path)
			var p struct {
				Text        string `json:"text"`
				Attachments []struct {
					Color, Title, Text, TitleLink string
				} `json:"attachments"`
			}
			require.NoError(t, json.Unmarshal(r.Body, &p))
			assert.Equal(t, "[critical] web-01 is down", p.Text)
			require.Len(t, p.Attachments, 1)
			assert.Equal(t, "#DC2626", p.Attachments[0].Color)
			assert.Equal(t, "No check-in for 10 minutes", p.Attachments[0].Text)
		}},
		{notify.TypeDiscord, notify.DestinationConfig{}, &notify.SecretsInput{WebhookURL: ptr(rcv.URL + "/api/webhooks/1/tok")}, func(t *testing.T, r notifytest.Request) {
			var p struct {
				Username string `json:"username"`
				Embeds   []struct {
					Title, Description, URL string
					Color                   int
					Fields                  []struct{ Name, Value string }
				} `json:"embeds"`
			}
			require.NoError(t, json.Unmarshal(r.Body, &p))
			require.Len(t, p.Embeds, 1)
			assert.Equal(t, "web-01 is down", p.Embeds[0].Title)
			assert.Equal(t, 0xDC2626, p.Embeds[0].Color)
			assert.Equal(t, "https://pm.example/hosts/1", p.Embeds[0].URL)
			assert.Equal(t, "web-01", p.Embeds[0].Fields[0].Value)
		}},
		{notify.TypeTeams, notify.DestinationConfig{}, &notify.SecretsInput{WebhookURL: ptr(rcv.URL + "/teams")}, func(t *testing.T, r notifytest.Request) {
			var p struct {
				Type        string `json:"type"`
				Attachments []struct {
					ContentType string         `json:"contentType"`
					Content     map[string]any `json:"content"`
				} `json:"attachments"`
			}
			require.NoError(t, json.Unmarshal(r.Body, &p))
			assert.Equal(t, "message", p.Type)
			require.Len(t, p.Attachments, 1)
			assert.Equal(t, "application/vnd.microsoft.card.adaptive", p.Attachments[0].ContentType)
			assert.Equal(t, "AdaptiveCard", p.Attachments[0].Content["type"])
			assert.Contains(t, string(r.Body), "web-01 is down")
		}},
		{notify.TypeNtfy, notify.DestinationConfig{ServerURL: rcv.URL, Topic: "patchmon-alerts"}, &notify.SecretsInput{Token: ptr("tk_ntfy")}, func(t *testing.T, r notifytest.Request) {
			assert.Equal(t, "/patchmon-alerts", r.Path)
			assert.Equal(t, "web-01 is down", r.Header.Get("Title"))
			assert.Equal(t, "5", r.Header.Get("Priority"))
			assert.Equal(t, "Bearer tk_ntfy", r.Header.Get("Authorization"))
			assert.Equal(t, "https://pm.example/hosts/1", r.Header.Get("Click"))
			assert.Contains(t, string(r.Body), "No check-in for 10 minutes")
		}},
		{notify.TypeGotify, notify.DestinationConfig{ServerURL: rcv.URL + "/gotify/"}, &notify.SecretsInput{Token: ptr("AppTok")}, func(t *testing.T, r notifytest.Request) {
			assert.Equal(t, "/gotify/message", r.Path)
			assert.Equal(t, "AppTok", r.Header.Get("X-Gotify-Key"))
			var p struct {
				Title    string
				Message  string
				Priority int
			}
			require.NoError(t, json.Unmarshal(r.Body, &p))
			assert.Equal(t, "web-01 is down", p.Title)
			assert.Equal(t, 9, p.Priority)
			assert.Contains(t, p.Message, "web-01")
		}},
	} {
		t.Run(string(tc.typ), func(t *testing.T) {
			d := e.dest(t, string(tc.typ), tc.typ, tc.cfg, tc.sec)
			before := len(rcv.Requests())
			res, err := e.svc.SendNow(ctx, d.ID, notify.Message{Event: ev})
			require.NoError(t, err)
			require.True(t, res.Succeeded, res.Error)
			reqs := rcv.Requests()
			require.Len(t, reqs, before+1)
			assert.Equal(t, http.MethodPost, reqs[before].Method)
			tc.check(t, reqs[before])
		})
	}
}

func TestEmailModes(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	for _, mode := range []string{notifytest.ModePlain, notifytest.ModeSTARTTLS, notifytest.ModeTLS} {
		t.Run(mode, func(t *testing.T) {
			opts := notifytest.SinkOptions{Mode: mode}
			cfg := notify.DestinationConfig{Port: 0, Security: mode, From: "PatchMon <patchmon@example.com>",
				To: []string{"ops@example.com", "sec@example.com"}, TLSSkipVerify: true}
			var sec *notify.SecretsInput
			if mode != notifytest.ModePlain {
				// Credentials only over encrypted sessions: net/smtp refuses otherwise.
				opts.Username, opts.Password = "mailer", "p@ss"
				cfg.Username = "mailer"
				sec = &notify.SecretsInput{Password: ptr("p@ss")}
			}
			sink := notifytest.NewSMTPSink(t, opts)
			cfg.Host, cfg.Port = sink.Host(), sink.Port()
			d := e.dest(t, "mail "+mode, notify.TypeEmail, cfg, sec)
			res, err := e.svc.SendNow(ctx, d.ID, notify.Message{
				Event: notify.Event{Type: notify.EventSecurityUpdates, Severity: notify.SeverityWarning, HostName: "db-02",
					Title: "db-02 has 4 security updates", Message: "openssl, libc6, sudo, curl"},
				HTML:        "<p><b>4</b> security updates</p>",
				Attachments: []notify.Attachment{{Filename: "list.csv", ContentType: "text/csv", Content: []byte("name\nopenssl\n")}},
			})
			require.NoError(t, err)
			require.True(t, res.Succeeded, res.Error)
			mails := sink.WaitMails(t, 1)
			m := mails[0]
			assert.Equal(t, "patchmon@example.com", m.From)
			assert.Equal(t, []string{"ops@example.com", "sec@example.com"}, m.To)
			assert.Equal(t, mode != notifytest.ModePlain, m.TLS)
			assert.Equal(t, opts.Username, m.AuthUser)
			msg := m.Parse(t)
			assert.Equal(t, "[PatchMon warning] db-02 has 4 security updates", decodeHeader(t, msg.Header.Get("Subject")))
			body, _ := io.ReadAll(msg.Body)
			assert.Contains(t, msg.Header.Get("Content-Type"), "multipart/mixed")
			assert.Contains(t, string(body), `filename=list.csv`)
			assert.Contains(t, string(body), "text/html")
		})
	}

	// A wrong password fails the attempt with the server's answer.
	sink := notifytest.NewSMTPSink(t, notifytest.SinkOptions{Mode: notifytest.ModeSTARTTLS, Username: "u", Password: "right"})
	d := e.dest(t, "bad auth", notify.TypeEmail, notify.DestinationConfig{Host: sink.Host(), Port: sink.Port(), From: "a@example.com",
		To: []string{"b@example.com"}, Username: "u", TLSSkipVerify: true}, &notify.SecretsInput{Password: ptr("wrong")})
	res, err := e.svc.SendTest(ctx, d.ID)
	require.NoError(t, err)
	assert.False(t, res.Succeeded)
	assert.Contains(t, res.Error, "535")
}

func decodeHeader(t *testing.T, v string) string {
	t.Helper()
	var dec = new(mimeDecoder)
	return dec.decode(t, v)
}

// TestSecretsUnreadableInDatabase stores every kind of secret and looks for it anywhere
// in the destination table's rows.
func TestSecretsUnreadableInDatabase(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	secrets := []string{"sign-9f8e7d", "Bearer hdr-5c4b3a", "smtp-pw-1a2b3c", "ntfy-tok-7x7x7x", "https://hooks.slack.test/services/T1/B2/slacktoken42"}
	e.dest(t, "hook", notify.TypeWebhook, notify.DestinationConfig{URL: "https://example.com/h"},
		&notify.SecretsInput{SigningSecret: &secrets[0], Headers: &map[string]string{"Authorization": secrets[1]}})
	e.dest(t, "mail", notify.TypeEmail, notify.DestinationConfig{Host: "smtp.example.com", From: "a@example.com", To: []string{"b@example.com"}, Username: "u"},
		&notify.SecretsInput{Password: &secrets[2]})
	e.dest(t, "ntfy", notify.TypeNtfy, notify.DestinationConfig{Topic: "t"}, &notify.SecretsInput{Token: &secrets[3]})
	slack := e.dest(t, "slack", notify.TypeSlack, notify.DestinationConfig{}, &notify.SecretsInput{WebhookURL: &secrets[4]})

	var dump string
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT string_agg(row_to_json(d)::text, E'\n') FROM notification_destinations d`).Scan(&dump))
	for _, s := range secrets {
		assert.NotContains(t, dump, s)
	}
	assert.NotContains(t, dump, "slacktoken42")
	assert.Contains(t, dump, "pmsb1.", "sealed by secretbox")

	// The API view masks them; the Slack URL keeps only its host.
	list, err := e.svc.ListDestinations(ctx)
	require.NoError(t, err)
	b, _ := json.Marshal(list)
	for _, s := range secrets {
		assert.NotContains(t, string(b), s)
	}
	got, err := e.svc.GetDestination(ctx, slack.ID)
	require.NoError(t, err)
	assert.Equal(t, "https://hooks.slack.test/••••••••", got.Secrets.WebhookURL)

	// A server with another key cannot read them, and says so instead of sending.
	other, err := secretbox.New(secretbox.Config{AIEncryptionKey: "another key"})
	require.NoError(t, err)
	svc2 := newService(t, env{db: e.db, box: other, clock: e.clock})
	res, err := svc2.SendTest(ctx, slack.ID)
	require.NoError(t, err)
	assert.False(t, res.Succeeded)
	assert.Contains(t, res.Error, "AI_ENCRYPTION_KEY")
}

func TestUpdateKeepsSecretsNotMentioned(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	rcv := notifytest.NewReceiver(t)
	d := e.dest(t, "hook", notify.TypeWebhook, notify.DestinationConfig{URL: rcv.URL}, &notify.SecretsInput{SigningSecret: ptr("keepme")})
	_, err := e.svc.UpdateDestination(ctx, d.ID, notify.DestinationInput{Name: ptr("renamed"), Config: &notify.DestinationConfig{URL: rcv.URL + "/v2"}})
	require.NoError(t, err)
	res, err := e.svc.SendTest(ctx, d.ID)
	require.NoError(t, err)
	require.True(t, res.Succeeded)
	r := rcv.Requests()[0]
	assert.Equal(t, "/v2", r.Path)
	require.NoError(t, notify.VerifySignature("keepme", r.Header.Get(notify.HeaderTimestamp), r.Header.Get(notify.HeaderSignature), r.Body, 0, time.Now()))

	// An empty string clears it.
	_, err = e.svc.UpdateDestination(ctx, d.ID, notify.DestinationInput{Secrets: &notify.SecretsInput{SigningSecret: ptr("")}})
	require.NoError(t, err)
	got, _ := e.svc.GetDestination(ctx, d.ID)
	assert.Empty(t, got.Secrets.SigningSecret)

	_, err = e.svc.UpdateDestination(ctx, d.ID, notify.DestinationInput{Type: notify.TypeSlack})
	assert.ErrorContains(t, err, "cannot change")
	_, err = e.svc.CreateDestination(ctx, notify.DestinationInput{Name: ptr("renamed"), Type: notify.TypeWebhook, Config: &notify.DestinationConfig{URL: rcv.URL}})
	assert.ErrorIs(t, err, notify.ErrNameTaken)
	_, err = e.svc.CreateDestination(ctx, notify.DestinationInput{Name: ptr("x"), Type: notify.TypeEmail, Config: &notify.DestinationConfig{Host: "h", From: "nope"}})
	assert.ErrorContains(t, err, "From must be an email address")
}

func (e env) route(t *testing.T, in notify.RouteInput) notify.Route {
	t.Helper()
	in.Enabled = true
	r, err := e.svc.CreateRoute(context.Background(), in)
	require.NoError(t, err)
	return r
}

func (e env) deliveries(t *testing.T, dest uuid.UUID) []notify.Delivery {
	t.Helper()
	list, _, err := e.svc.ListDeliveries(context.Background(), notify.DeliveryFilter{DestinationID: &dest, Limit: 500})
	require.NoError(t, err)
	return list
}

// TestRetriesWithBackoffThenGiveUp lets a receiver fail every request: attempts happen
// at 0, +30s, +1m, +2m, +4m (doubling), then the delivery is given up.
func TestRetriesWithBackoffThenGiveUp(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	rcv := notifytest.NewReceiver(t)
	rcv.FailNext(1000, http.StatusBadGateway)
	d := e.dest(t, "flaky", notify.TypeWebhook, notify.DestinationConfig{URL: rcv.URL}, nil)
	e.route(t, notify.RouteInput{Name: "all", DestinationIDs: []uuid.UUID{d.ID}})

	n, err := e.svc.Publish(ctx, notify.Event{Type: notify.EventHostDown, Severity: notify.SeverityError, Title: "down"})
	require.NoError(t, err)
	require.Equal(t, 1, n)

	waits := []time.Duration{0, 30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute}
	for i, w := range waits {
		if w > 0 {
			e.clock.Add(w - time.Second)
			require.NoError(t, e.svc.ProcessDue(ctx))
			require.Len(t, rcv.Requests(), i, "not due a second early (attempt %d)", i+1)
			e.clock.Add(time.Second)
		}
		require.NoError(t, e.svc.ProcessDue(ctx))
		require.Len(t, rcv.Requests(), i+1, "attempt %d", i+1)
	}
	e.clock.Add(24 * time.Hour)
	require.NoError(t, e.svc.ProcessDue(ctx))
	assert.Len(t, rcv.Requests(), 5, "given up after MaxAttempts")

	ds := e.deliveries(t, d.ID)
	require.Len(t, ds, 1)
	assert.Equal(t, "failed", ds[0].Status)
	assert.Equal(t, 5, ds[0].Attempts)
	assert.Nil(t, ds[0].NextAttemptAt)
	require.Len(t, ds[0].Log, 5)
	for i, a := range ds[0].Log {
		assert.Equal(t, i+1, a.Attempt)
		assert.False(t, a.Succeeded)
		require.NotNil(t, a.ResponseCode)
		assert.Equal(t, http.StatusBadGateway, *a.ResponseCode)
		assert.Contains(t, a.Error, "HTTP 502")
	}
	for i := 1; i < 5; i++ {
		assert.Equal(t, waits[i], ds[0].Log[i].At.Sub(ds[0].Log[i-1].At), "backoff before attempt %d", i+1)
	}
}

func TestRetrySucceedsLater(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	rcv := notifytest.NewReceiver(t)
	rcv.FailNext(2, http.StatusServiceUnavailable)
	d := e.dest(t, "flaky", notify.TypeWebhook, notify.DestinationConfig{URL: rcv.URL}, nil)
	res, err := e.svc.SendNow(ctx, d.ID, notify.Message{Event: notify.Event{Type: notify.EventReport, Title: "weekly"}})
	require.NoError(t, err)
	assert.False(t, res.Succeeded)
	assert.True(t, res.WillRetry)
	for range 2 {
		e.clock.Add(10 * time.Minute)
		require.NoError(t, e.svc.ProcessDue(ctx))
	}
	ds := e.deliveries(t, d.ID)
	require.Len(t, ds, 1)
	assert.Equal(t, "succeeded", ds[0].Status)
	assert.Equal(t, 3, ds[0].Attempts)
	assert.NotNil(t, ds[0].DeliveredAt)
	assert.Len(t, rcv.Requests(), 3)
}

func TestRoutesFilter(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	rcv := notifytest.NewReceiver(t)
	mk := func(name string) notify.Destination {
		return e.dest(t, name, notify.TypeWebhook, notify.DestinationConfig{URL: rcv.URL + "/" + name}, nil)
	}
	dDown, dGroup, dHost, dAll, dOff := mk("down"), mk("group"), mk("host"), mk("all"), mk("off")
	var prod, web1, web2 uuid.UUID
	require.NoError(t, e.pool.QueryRow(ctx, `INSERT INTO host_groups (name) VALUES ('prod') RETURNING id`).Scan(&prod))
	for _, h := range []struct {
		id   *uuid.UUID
		name string
	}{{&web1, "web1"}, {&web2, "web2"}} {
		require.NoError(t, e.pool.QueryRow(ctx, `INSERT INTO hosts (friendly_name, api_id, api_key_hash) VALUES ($1, 'patchmon_'||$1, 'x') RETURNING id`, h.name).Scan(h.id))
	}
	_, err := e.pool.Exec(ctx, `INSERT INTO host_group_memberships (host_id, host_group_id) VALUES ($1, $2)`, web1, prod)
	require.NoError(t, err)

	e.route(t, notify.RouteInput{Name: "host down, warning+", EventTypes: []string{notify.EventHostDown}, MinSeverity: notify.SeverityWarning, DestinationIDs: []uuid.UUID{dDown.ID}})
	e.route(t, notify.RouteInput{Name: "prod group", HostGroupIDs: []uuid.UUID{prod}, DestinationIDs: []uuid.UUID{dGroup.ID}})
	e.route(t, notify.RouteInput{Name: "web2 only", HostIDs: []uuid.UUID{web2}, MinSeverity: notify.SeverityCritical, DestinationIDs: []uuid.UUID{dHost.ID}})
	e.route(t, notify.RouteInput{Name: "everything", DestinationIDs: []uuid.UUID{dAll.ID, dDown.ID}})
	off := e.route(t, notify.RouteInput{Name: "disabled route", DestinationIDs: []uuid.UUID{dOff.ID}})
	_, err = e.svc.UpdateRoute(ctx, off.ID, notify.RouteInput{Name: off.Name, Enabled: false, DestinationIDs: []uuid.UUID{dOff.ID}})
	require.NoError(t, err)

	for _, tc := range []struct {
		name string
		ev   notify.Event
		want []uuid.UUID
	}{
		{"host down on web1 (prod), error", notify.Event{Type: notify.EventHostDown, Severity: notify.SeverityError, HostID: &web1}, []uuid.UUID{dDown.ID, dGroup.ID, dAll.ID}},
		{"host down on web2, informational", notify.Event{Type: notify.EventHostDown, HostID: &web2}, []uuid.UUID{dDown.ID, dAll.ID}},
		{"security updates on web2, critical", notify.Event{Type: notify.EventSecurityUpdates, Severity: notify.SeverityCritical, HostID: &web2}, []uuid.UUID{dHost.ID, dAll.ID, dDown.ID}},
		{"server update (no host)", notify.Event{Type: notify.EventServerUpdate, Severity: notify.SeverityCritical}, []uuid.UUID{dAll.ID, dDown.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := map[uuid.UUID]int{}
			for _, d := range []notify.Destination{dDown, dGroup, dHost, dAll, dOff} {
				before[d.ID] = len(e.deliveries(t, d.ID))
			}
			tc.ev.Title = tc.name
			n, err := e.svc.Publish(ctx, tc.ev)
			require.NoError(t, err)
			assert.Equal(t, len(tc.want), n, "each destination once")
			for _, d := range []notify.Destination{dDown, dGroup, dHost, dAll, dOff} {
				got := len(e.deliveries(t, d.ID)) - before[d.ID]
				want := 0
				for _, w := range tc.want {
					if w == d.ID {
						want = 1
					}
				}
				assert.Equal(t, want, got, "deliveries to %s", d.Name)
			}
		})
	}

	// A disabled destination is skipped even when a route names it.
	_, err = e.svc.UpdateDestination(ctx, dAll.ID, notify.DestinationInput{Enabled: ptr(false)})
	require.NoError(t, err)
	n, err := e.svc.Publish(ctx, notify.Event{Type: notify.EventServerUpdate, Title: "x"})
	require.NoError(t, err)
	assert.Equal(t, 1, n)

	_, err = e.svc.CreateRoute(ctx, notify.RouteInput{Name: "bad", MinSeverity: "loud", DestinationIDs: []uuid.UUID{dAll.ID}})
	assert.ErrorContains(t, err, "Minimum severity")
	_, err = e.svc.CreateRoute(ctx, notify.RouteInput{Name: "bad", DestinationIDs: []uuid.UUID{uuid.New()}})
	assert.ErrorContains(t, err, "Unknown destination")
}

// TestConcurrentWorkersDeliverOnce runs ProcessDue on two services (two replicas) at
// once: every delivery is sent exactly once.
func TestConcurrentWorkersDeliverOnce(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	rcv := notifytest.NewReceiver(t)
	d := e.dest(t, "hook", notify.TypeWebhook, notify.DestinationConfig{URL: rcv.URL}, nil)
	e.route(t, notify.RouteInput{Name: "all", DestinationIDs: []uuid.UUID{d.ID}})
	const n = 40
	for i := range n {
		_, err := e.svc.Publish(ctx, notify.Event{Type: notify.EventHostUp, Title: "up " + string(rune('a'+i%26))})
		require.NoError(t, err)
	}
	other := newService(t, e)
	var wg sync.WaitGroup
	for _, s := range []*notify.Service{e.svc, other, e.svc, other} {
		wg.Add(1)
		go func() { defer wg.Done(); assert.NoError(t, s.ProcessDue(ctx)) }()
	}
	wg.Wait()
	reqs := rcv.Requests()
	require.Len(t, reqs, n)
	seen := map[string]bool{}
	for _, r := range reqs {
		id := r.Header.Get(notify.HeaderDelivery)
		assert.False(t, seen[id], "delivery %s sent twice", id)
		seen[id] = true
	}
	ds := e.deliveries(t, d.ID)
	for _, x := range ds {
		assert.Equal(t, "succeeded", x.Status)
		assert.Equal(t, 1, x.Attempts)
	}
	assert.True(t, strings.HasPrefix(reqs[0].Header.Get("User-Agent"), "PatchMon/"))
}
