// Command patchmon-server runs the PatchMon server: `patchmon-server [flags]` serves,
// `patchmon-server migrate [status]` manages the schema, `--config-dump` prints the
// effective configuration with secrets redacted. All wiring lives in package patchmon.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/patchmon-go/patchmon/patchmon"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "patchmon-server:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string) error {
	cmd, rest := patchmon.SplitCommand(args)
	cfg, err := patchmon.LoadConfig(rest, getenv)
	if err != nil {
		return err
	}
	return patchmon.RunCommand(ctx, cmd, cfg, os.Stdout)
}
