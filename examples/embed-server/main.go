// Command embed-server shows how to run a PatchMon server inside another program: the
// program keeps its own HTTP server and routes, and mounts PatchMon's handler under them.
//
//	go run ./examples/embed-server -listen 127.0.0.1:8080
//
// Configuration comes from the same environment variables as patchmon-server (see
// docs/configuration.md); with none set, PatchMon runs its embedded PostgreSQL in ./data.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/patchmon-go/patchmon/patchmon"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "embed-server:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string) error {
	fs := flag.NewFlagSet("embed-server", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8080", "address of the host program's HTTP server")
	if err := fs.Parse(args); err != nil {
		return err
	}

	cfg, err := patchmon.LoadConfig(nil, getenv)
	if err != nil {
		return err
	}
	cfg.DisableListener = true // the host program serves HTTP itself
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil)).With("component", "patchmon")

	pm, err := patchmon.New(cfg)
	if err != nil {
		return err
	}
	if err := pm.Start(ctx); err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		pm.Shutdown(sctx)
	}()

	mux := http.NewServeMux()
	// The host program's own endpoint.
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello from the host program")
	})
	// Everything else is PatchMon: dashboard, API (/api/v1/...), agent endpoints, /health.
	mux.Handle("/", pm.Handler())

	srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	slog.Info("serving", "url", "http://"+*listen+"/", "patchmon_health", "http://"+*listen+"/health")
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
