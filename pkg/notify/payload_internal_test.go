package notify

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestChatPayloadsGolden pins the JSON each chat service receives (refresh with -update).
func TestChatPayloadsGolden(t *testing.T) {
	host := uuid.MustParse("00000000-0000-4000-8000-0000000000aa")
	m := &Message{Event: Event{Type: EventSecurityUpdates, Severity: SeverityWarning, HostID: &host, HostName: "db-02",
		Title: "db-02 has 4 security updates", Message: "openssl, libc6, sudo, curl", URL: "https://pm.example/hosts/db-02",
		Time: time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)}}
	for name, payload := range map[string]any{"slack": slackPayload(m), "discord": discordPayload(m), "teams": teamsPayload(m)} {
		got, err := json.MarshalIndent(payload, "", "  ")
		require.NoError(t, err)
		path := filepath.Join("testdata", name+".json.golden")
		if *update {
			require.NoError(t, os.MkdirAll("testdata", 0o755))
			require.NoError(t, os.WriteFile(path, got, 0o644))
		}
		want, err := os.ReadFile(path)
		require.NoError(t, err, "run with -update to create %s", path)
		assert.JSONEq(t, string(want), string(got), name)
	}
	assert.Equal(t, "Host: db-02\nopenssl, libc6, sudo, curl\nhttps://pm.example/hosts/db-02", plainText(m))
}

func TestEmailWithoutAttachments(t *testing.T) {
	cfg := DestinationConfig{From: "PatchMon <pm@example.com>", To: []string{"a@example.com"}}
	m := &Message{Event: Event{Type: EventTest, Title: "Grüße", Message: "plain"}}
	b, err := buildEmail(cfg, m, uuid.MustParse("00000000-0000-4000-8000-0000000000bb"), time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	s := string(b)
	assert.Contains(t, s, "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n")
	assert.Contains(t, s, "Message-ID: <00000000-0000-4000-8000-0000000000bb@example.com>\r\n")
	assert.Contains(t, s, "Content-Type: multipart/alternative; boundary=")
	assert.NotContains(t, s, "text/html", "no HTML part without HTML")
}

func TestBackoff(t *testing.T) {
	s, err := New(Config{DB: nil, Secrets: nil})
	require.Error(t, err)
	s = &Service{cfg: Config{BackoffBase: 30 * time.Second, BackoffMax: time.Hour}}
	for failed, want := range map[int]time.Duration{1: 30 * time.Second, 2: time.Minute, 3: 2 * time.Minute, 7: 32 * time.Minute, 8: time.Hour, 50: time.Hour} {
		assert.Equal(t, want, s.Backoff(failed), "after %d failures", failed)
	}
}

func TestHeadersStayOnOneLine(t *testing.T) {
	cfg := DestinationConfig{From: "pm@example.com", To: []string{"a@example.com"}}
	m := &Message{Event: Event{Type: EventHostDown, Severity: SeverityError, Title: "evil\r\nBcc: victim@example.com", Message: "x"}}
	b, err := buildEmail(cfg, m, uuid.New(), time.Now())
	require.NoError(t, err)
	assert.Contains(t, string(b), "Subject: [PatchMon error] evil Bcc: victim@example.com\r\n")
	assert.NotContains(t, string(b), "\r\nBcc:")

	c, sec := DestinationConfig{URL: "https://example.com"}, Secrets{Headers: map[string]string{"X-A": "1\r\nX-B: 2"}}
	assert.ErrorContains(t, validate(TypeWebhook, &c, &sec), "line breaks")
	sec = Secrets{Password: " keep spaces "}.apply(&SecretsInput{Token: ptr(" tok ")})
	assert.Equal(t, " keep spaces ", sec.Password)
	assert.Equal(t, "tok", sec.Token)
	sec = sec.apply(&SecretsInput{Password: ptr(" new pw ")})
	assert.Equal(t, " new pw ", sec.Password)
}

func ptr[T any](v T) *T { return &v }
