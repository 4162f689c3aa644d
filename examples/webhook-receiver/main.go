// Command webhook-receiver accepts PatchMon webhook notifications, checks their
// signature and prints each event: the starting point for a program that reacts to
// PatchMon alerts and reports (open a ticket, page someone, archive the report).
//
//	PATCHMON_WEBHOOK_SECRET=… go run ./examples/webhook-receiver -listen 127.0.0.1:9000
//
// Point a PatchMon webhook destination at http://127.0.0.1:9000/ with the same signing
// secret.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/patchmon-go/patchmon/pkg/notify"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "webhook-receiver:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	fs := flag.NewFlagSet("webhook-receiver", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:9000", "address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	secret := getenv("PATCHMON_WEBHOOK_SECRET")
	if secret == "" {
		return errors.New("PATCHMON_WEBHOOK_SECRET is required (the destination's signing secret)")
	}
	srv := &http.Server{Addr: *listen, Handler: handler(secret, out, time.Now), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	slog.Info("waiting for PatchMon webhooks", "addr", *listen)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// handler verifies each request (signature over the raw body, timestamp within five
// minutes) before it parses anything, and answers 204 so PatchMon records a delivery.
func handler(secret string, out io.Writer, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 20<<20))
		if err != nil {
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		err = notify.VerifySignature(secret, r.Header.Get(notify.HeaderTimestamp), r.Header.Get(notify.HeaderSignature),
			body, 5*time.Minute, now())
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var p notify.WebhookPayload
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, "not a PatchMon payload", http.StatusBadRequest)
			return
		}
		host := "-"
		if p.Host != nil {
			host = p.Host.Name
		}
		fmt.Fprintf(out, "%s %s [%s] host=%s %s (delivery %s, %d attachments)\n", p.Timestamp.Format(time.RFC3339),
			p.Event, p.Severity, host, p.Title, p.ID, len(p.Attachments))
		w.WriteHeader(http.StatusNoContent)
	})
}
