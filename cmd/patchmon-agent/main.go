// Command patchmon-agent is the PatchMon agent: `patchmon-agent serve` runs it as a
// service, `report`, `ping`, `diagnostics`, `config show|set-api`, `check-version`,
// `update-agent` and `version` are the documented one-off commands. The command line
// lives in agentkit/agentcli and the agent in agentkit; this file only hands them the
// process.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/patchmon-go/patchmon/agentkit/agentcli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
	}
	os.Exit(agentcli.ExitCode(err))
}

func run(ctx context.Context, args []string, getenv func(string) string) error {
	exe, err := os.Executable()
	if err != nil {
		exe = ""
	}
	return agentcli.Run(ctx, agentcli.Env{
		Args:       args,
		Getenv:     getenv,
		Environ:    os.Environ(),
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		Euid:       os.Geteuid(),
		Executable: exe,
	})
}
