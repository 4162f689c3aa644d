// Command embed-agent reports the host it runs on to a PatchMon server through the
// agentkit library, the way a configuration-management tool or a custom daemon would
// embed the agent instead of installing patchmon-agent. Without a server it prints a
// summary of what it would report. See README.md.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/patchmon-go/patchmon/agentkit"
	"github.com/patchmon-go/patchmon/agentkit/collect"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "embed-agent:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string) error {
	fs := flag.NewFlagSet("embed-agent", flag.ContinueOnError)
	server := fs.String("server", getenv("PATCHMON_SERVER"), "PatchMon server URL (env PATCHMON_SERVER)")
	once := fs.Bool("once", false, "send one full report and exit instead of running as an agent")
	asJSON := fs.Bool("json", false, "print the full report as JSON (nothing is sent)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	a, err := agentkit.New(agentkit.Config{
		ServerURL: *server,
		APIID:     getenv("PATCHMON_API_ID"),
		APIKey:    getenv("PATCHMON_API_KEY"),
		// This program is not a package manager's janitor: use the cache as is.
		PackageCacheRefresh: collect.RefreshNever,
		// Keep undeliverable reports across restarts of this program.
		SpoolDir: os.TempDir() + "/embed-agent-spool",
		Logger:   log,
	})
	if err != nil {
		return err
	}
	switch {
	case *asJSON:
		r, err := a.BuildReport(ctx)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case *server == "":
		return summary(ctx, a)
	case *once:
		res, err := a.SendReport(ctx)
		if err != nil {
			return err
		}
		fmt.Printf("report sent: %d packages, %d updates (%d security)\n",
			res.Update.PackagesProcessed, res.Update.UpdatesAvailable, res.Update.SecurityUpdates)
		return nil
	}
	// The long-lived agent: hash-gated check-ins at this host's offset, the
	// WebSocket command channel, spooling while the server is away. Run returns
	// when ctx ends (Ctrl-C).
	return a.Run(ctx)
}

// summary prints what the agent sees on this host.
func summary(ctx context.Context, a *agentkit.Agent) error {
	start := time.Now()
	r, err := a.BuildReport(ctx)
	if err != nil {
		return err
	}
	updates, security := 0, 0
	for _, p := range r.Packages {
		if p.NeedsUpdate {
			updates++
		}
		if p.IsSecurityUpdate {
			security++
		}
	}
	fmt.Printf("%s: %s %s, kernel %s, %s\n", r.Hostname, r.OSType, r.OSVersion, r.KernelVersion, r.PackageManager)
	fmt.Printf("%d packages, %d updates available (%d security), %d repositories\n",
		len(r.Packages), updates, security, len(r.Repositories))
	if r.NeedsReboot {
		fmt.Printf("reboot required: %s\n", r.RebootReason)
	}
	fmt.Printf("collected in %s; set PATCHMON_SERVER, PATCHMON_API_ID and PATCHMON_API_KEY to report it\n",
		time.Since(start).Round(time.Millisecond))
	return nil
}
