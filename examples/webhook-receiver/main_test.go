package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/patchmon-go/patchmon/pkg/notify"
)

func TestHandlerVerifiesSignatures(t *testing.T) {
	now := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	var out bytes.Buffer
	h := handler("s3cret", &out, func() time.Time { return now })
	body := []byte(`{"id":"00000000-0000-4000-8000-000000000001","event":"host_down","severity":"critical",` +
		`"title":"web-01 is down","message":"","host":{"name":"web-01"},"timestamp":"2026-06-01T07:59:00Z"}`)
	send := func(secret string, ts time.Time, b []byte) int {
		stamp := strconv.FormatInt(ts.Unix(), 10)
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(b))
		req.Header.Set(notify.HeaderTimestamp, stamp)
		req.Header.Set(notify.HeaderSignature, notify.Sign(secret, stamp, b))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	if got := send("s3cret", now, body); got != http.StatusNoContent {
		t.Fatalf("signed request: got %d", got)
	}
	want := "2026-06-01T07:59:00Z host_down [critical] host=web-01 web-01 is down (delivery 00000000-0000-4000-8000-000000000001, 0 attachments)\n"
	if out.String() != want {
		t.Fatalf("printed %q, want %q", out.String(), want)
	}
	for name, code := range map[string]int{
		"wrong secret": send("other", now, body),
		"replayed":     send("s3cret", now.Add(-time.Hour), body),
	} {
		if code != http.StatusUnauthorized {
			t.Errorf("%s: got %d, want 401", name, code)
		}
	}
}
