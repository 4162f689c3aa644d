package pgembed_test

import (
	"context"
	"log"
	"log/slog"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/patchmon-go/patchmon/pkg/pgembed"
)

// A program that owns its database: start the cluster, use it through the unix socket,
// and stop it on the way out.
func Example() {
	cluster, err := pgembed.New(pgembed.Config{
		DataDir: "/var/lib/patchmon",
		Logger:  slog.New(slog.NewTextHandler(os.Stderr, nil)),
	})
	if err != nil {
		log.Fatal(err) // for example ErrBinariesNotFound, with install instructions
	}
	ctx := context.Background()
	startCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := cluster.Start(startCtx); err != nil {
		log.Fatal(err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		_ = cluster.Stop(stopCtx)
	}()

	pool, err := pgxpool.New(ctx, cluster.ConnString(""))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	// ... use pool ...
}
