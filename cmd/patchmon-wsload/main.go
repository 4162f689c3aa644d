// Command patchmon-wsload plays thousands of PatchMon agents against a server's agent
// WebSocket: it seeds hosts, connects them over several 127.0.0.x source addresses, times
// fleet-wide settings_update broadcasts and reconnect storms, and samples the server's
// memory and CPU. See docs/realtime.md; the work is in pkg/agenthub/loadgen.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/patchmon-go/patchmon/pkg/agenthub/loadgen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "patchmon-wsload:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("patchmon-wsload", flag.ContinueOnError)
	var o loadgen.Options
	fs.StringVar(&o.ServerURL, "server", "http://127.0.0.1:3000", "server base URL")
	fs.StringVar(&o.CommandURL, "command-server", "", "server to send the broadcasts to (default: -server)")
	fs.StringVar(&o.DatabaseURL, "database-url", "", "server database, for -seed, -unseed and transaction counts")
	fs.IntVar(&o.SeedHosts, "seed", 0, "create this many hosts in -database-url, write their credentials to -creds, exit")
	fs.BoolVar(&o.Unseed, "unseed", false, "delete the hosts -seed created, exit")
	fs.StringVar(&o.CredentialsFile, "creds", "wsload-creds.txt", "credentials file (api_id api_key per line)")
	fs.IntVar(&o.AgentLimit, "agents", 0, "agents to play (default: every credential)")
	fs.IntVar(&o.SourceCount, "sources", 20, "source addresses 127.0.0.2… to spread connections over (0: kernel's choice)")
	fs.StringVar(&o.User, "user", "wsload-admin", "user for the broadcasts (set up as first admin if there is none)")
	fs.StringVar(&o.Password, "password", "Wsload-Passw0rd!", "that user's password")
	fs.IntVar(&o.Broadcasts, "broadcasts", 3, "fleet-wide settings_update broadcasts to time")
	fs.BoolVar(&o.Storm, "storm", true, "drop every connection at once and time the reconnection")
	fs.BoolVar(&o.Hold, "hold", false, "stay connected until interrupted, timing recoveries (restart the server meanwhile)")
	fs.IntVar(&o.ServerPID, "server-pid", 0, "server process to sample for RSS and CPU")
	fs.DurationVar(&o.Idle, "idle", 0, "idle CPU measurement window (default 30s)")
	fs.DurationVar(&o.ConnectTimeout, "connect-timeout", 0, "limit for connecting the fleet and each reconnection (default 15m)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return loadgen.Run(ctx, o, os.Stdout)
}
