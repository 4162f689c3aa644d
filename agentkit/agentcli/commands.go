package agentcli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/patchmon-go/patchmon/agentkit"
	"github.com/patchmon-go/patchmon/agentkit/collect"
	"github.com/patchmon-go/patchmon/agentkit/collect/system"
)

func (c *cli) version(context.Context) error {
	c.out("PatchMon Agent v%s\n", agentkit.Version())
	return nil
}

// serve runs the agent until the context ends (SIGTERM, SIGINT).
func (c *cli) serve(ctx context.Context) error {
	f, err := c.loadFile()
	if err != nil {
		return err
	}
	// Under systemd the journal collects standard error; interactively
	// (debugging) the operator wants to see the log.
	log, closer := c.logger(f, c.underSystemd() || c.interactive())
	defer closer.Close()
	a, err := c.newAgent(f, log, true, func(cfg *agentkit.Config) { cfg.Restart = c.restarter() })
	if err != nil {
		return err
	}
	err = a.Run(ctx)
	if errors.Is(err, agentkit.ErrRestartRequired) {
		log.Info("exiting so that the service manager starts the updated agent")
	}
	return err
}

// restarter picks how to restart after a self-update: systemd or OpenRC
// when they manage the agent, else replacing the process in place (the
// crontab @reboot fallback).
func (c *cli) restarter() func(context.Context) error {
	switch {
	case c.underSystemd():
		return agentkit.RestartSystemd("patchmon-agent")
	case fileExists("/run/openrc/softlevel") && fileExists("/etc/init.d/patchmon-agent"):
		return agentkit.RestartOpenRC("patchmon-agent")
	case c.env.Executable != "":
		return agentkit.ReExec(c.env.Executable, append([]string{c.env.Executable}, c.env.Args...), c.env.Environ)
	}
	return nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// report collects and sends a report, or prints it with --json.
func (c *cli) report(ctx context.Context) error {
	f, err := c.loadFile()
	if err != nil {
		return err
	}
	log, closer := c.logger(f, c.opts.logLevel != "")
	defer closer.Close()
	if c.opts.json {
		// Needs no credentials and sends nothing.
		a, err := c.newAgent(f, log, false)
		if err != nil {
			return err
		}
		r, err := a.BuildReport(ctx)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(c.env.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(r)
	}
	a, err := c.newAgent(f, log, true)
	if err != nil {
		return err
	}
	res, err := a.SendReport(ctx)
	if err != nil {
		if res.Spooled {
			c.out("❌ The server could not take the report; it is kept and will be delivered when the server is back\n")
		}
		return err
	}
	u := res.Update
	c.out("✅ Report sent: %d packages, %d updates available (%d security)\n", u.PackagesProcessed, u.UpdatesAvailable, u.SecurityUpdates)
	if au := u.AutoUpdate; au != nil && au.ShouldUpdate {
		up, err := a.UpdateAgent(ctx, false)
		switch {
		case err != nil:
			c.out("❌ Automatic agent update failed: %v\n", err)
		case up.Updated:
			c.out("✅ Agent updated to %s\n", up.LatestVersion)
			c.restartService(ctx)
		}
	}
	return nil
}

// ping tests connectivity and credentials.
func (c *cli) ping(ctx context.Context) error {
	f, err := c.loadFile()
	if err != nil {
		return err
	}
	log, closer := c.logger(f, c.opts.logLevel != "")
	defer closer.Close()
	a, err := c.newAgent(f, log, true)
	if err != nil {
		return err
	}
	if _, err := a.Ping(ctx); err != nil {
		return fmt.Errorf("connectivity test failed: %w", friendly(err))
	}
	c.out("✅ API credentials are valid\n✅ Connectivity test successful\n")
	return nil
}

// friendly shortens HTTP errors to the documented "server returned 401".
func friendly(err error) error {
	var he *agentkit.HTTPError
	if errors.As(err, &he) {
		msg := fmt.Sprintf("server returned %d", he.StatusCode)
		if he.Message != "" {
			msg += " (" + he.Message + ")"
		}
		return errors.New(msg)
	}
	return err
}

func (c *cli) configShow(context.Context) error {
	f, err := c.loadFile()
	if err != nil {
		return err
	}
	server := f.PatchmonServer
	if server == "" {
		server = "(not set)"
	}
	c.out("Configuration:\n")
	c.out("  Server: %s\n  Agent Version: %s\n  Config File: %s\n  Credentials File: %s\n  Log File: %s\n  Log Level: %s\n",
		server, agentkit.Version(), f.Path, f.CredentialsFile, f.LogFile, c.logLevel(f))
	c.out("  Update Interval: %d minutes\n  Package Cache Refresh: %s (max age %d minutes)\n",
		f.UpdateInterval, f.PackageCacheRefreshMode, f.PackageCacheRefreshMaxAge)
	c.out("\nCredentials:\n")
	if err := f.LoadCredentials(); err != nil {
		c.out("  API ID: (not set)\n  API Key: Not set ❌\n")
		return nil
	}
	c.out("  API ID: %s\n  API Key: Set ✅\n", f.APIID)
	return nil
}

func (c *cli) setAPI(ctx context.Context, apiID, apiKey, serverURL string) error {
	if strings.TrimSpace(apiID) == "" || strings.TrimSpace(apiKey) == "" {
		return usageErrorf("API ID and API key must not be empty")
	}
	u, err := url.Parse(serverURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageErrorf("invalid server URL %q: it must start with http:// or https://", serverURL)
	}
	f, err := c.loadFile()
	if err != nil {
		return err
	}
	if err := f.SaveServer(serverURL); err != nil {
		return err
	}
	if err := f.SaveCredentials(apiID, apiKey); err != nil {
		return err
	}
	c.out("✅ Server URL saved to %s\n✅ Credentials saved to %s\n", f.Path, f.CredentialsFile)
	c.out("Testing connectivity...\n")
	return c.ping(ctx)
}

func (c *cli) checkVersion(ctx context.Context) error {
	f, err := c.loadFile()
	if err != nil {
		return err
	}
	log, closer := c.logger(f, c.opts.logLevel != "")
	defer closer.Close()
	a, err := c.newAgent(f, log, true)
	if err != nil {
		return err
	}
	v, err := a.CheckVersion(ctx)
	if err != nil {
		return fmt.Errorf("version check failed: %w", friendly(err))
	}
	current := agentkit.Version()
	latest := strings.TrimPrefix(v.LatestVersion, "v")
	switch {
	case latest == "" || latest == current:
		c.out("Agent is up to date (version %s)\n", current)
	case v.AutoUpdateDisabled:
		c.out("Current version: %s\nLatest version: %s\nStatus: Auto-update disabled by server administrator", current, latest)
		if v.AutoUpdateDisabledReason != "" {
			c.out(" (%s)", v.AutoUpdateDisabledReason)
		}
		c.out("\n\nTo update manually, run: patchmon-agent update-agent\n")
	default:
		c.out("Agent update available!\n  Current version: %s\n  Latest version: %s\n\nTo update, run: patchmon-agent update-agent\n", current, latest)
	}
	return nil
}

func (c *cli) updateAgent(ctx context.Context) error {
	f, err := c.loadFile()
	if err != nil {
		return err
	}
	log, closer := c.logger(f, c.opts.logLevel != "")
	defer closer.Close()
	a, err := c.newAgent(f, log, true)
	if err != nil {
		return err
	}
	c.out("Checking for updates...\n")
	res, err := a.UpdateAgent(ctx, true)
	if err != nil {
		return fmt.Errorf("update failed: %w", friendly(err))
	}
	if !res.Updated {
		c.out("%s\n", capitalize(res.Message))
		return nil
	}
	c.out("✅ Agent updated from %s to %s\n", res.CurrentVersion, res.LatestVersion)
	c.out("   Previous binary kept at %s\n", res.Backup)
	c.restartService(ctx)
	return nil
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// restartService restarts the agent service after a manual update so that
// the new binary runs.
func (c *cli) restartService(ctx context.Context) {
	var restart func(context.Context) error
	switch {
	case fileExists("/run/systemd/system") && fileExists("/etc/systemd/system/patchmon-agent.service"):
		restart = agentkit.RestartSystemd("patchmon-agent")
	case fileExists("/run/openrc/softlevel") && fileExists("/etc/init.d/patchmon-agent"):
		restart = agentkit.RestartOpenRC("patchmon-agent")
	}
	if restart == nil {
		c.out("Restart the agent (patchmon-agent serve) to run the new version\n")
		return
	}
	if err := restart(ctx); err != nil {
		c.out("❌ Could not restart the service: %v\n", err)
		return
	}
	c.out("✅ Service restart requested\n")
}

func (c *cli) diagnostics(ctx context.Context) error {
	f, err := c.loadFile()
	if err != nil {
		return err
	}
	c.out("PatchMon Agent Diagnostics v%s\n\n", agentkit.Version())

	c.out("System Information:\n")
	if s, err := system.New(collect.Host{}).System(ctx); err == nil {
		c.out("  OS: %s %s\n  Architecture: %s\n  Kernel: %s\n  Hostname: %s\n  Machine ID: %s\n",
			s.OSType, s.OSVersion, runtime.GOARCH, s.KernelVersion, s.Hostname, shorten(s.MachineID))
		if s.NeedsReboot {
			c.out("  Reboot required: %s\n", s.RebootReason)
		}
	} else {
		c.out("  ❌ %v\n", err)
	}
	pm := agentkit.DetectPackageManager(collect.Host{})
	if pm != nil {
		c.out("  Package Manager: %s\n", pm.Name())
	} else {
		c.out("  Package Manager: ❌ none supported found\n")
	}

	c.out("\nAgent Information:\n  Version: %s\n  Config File: %s\n  Credentials File: %s\n  Log File: %s\n  Log Level: %s\n",
		agentkit.Version(), f.Path, f.CredentialsFile, f.LogFile, c.logLevel(f))

	c.out("\nConfiguration Status:\n")
	c.out("  %s Config file exists\n", mark(f.Exists))
	credErr := f.LoadCredentials()
	c.out("  %s Credentials file exists\n", mark(fileExists(f.CredentialsFile)))
	if credErr != nil && fileExists(f.CredentialsFile) {
		c.out("  ❌ %v\n", credErr)
	}
	if n := spooled(f); n > 0 {
		c.out("  ⏳ %d report(s) waiting for delivery\n", n)
	}

	c.out("\nNetwork Connectivity & API Credentials:\n")
	if f.PatchmonServer == "" {
		c.out("  ❌ No server configured\n")
	} else {
		c.out("  Server URL: %s\n", f.PatchmonServer)
		if err := reachable(ctx, f.PatchmonServer); err != nil {
			c.out("  ❌ Server is not reachable: %v\n", err)
		} else {
			c.out("  ✅ Server is reachable\n")
			if credErr != nil {
				c.out("  ❌ Credentials not configured\n")
			} else if a, err := c.newAgent(f, nil, true); err != nil {
				c.out("  ❌ %v\n", err)
			} else if _, err := a.Ping(ctx); err != nil {
				c.out("  ❌ API check failed: %v\n", friendly(err))
			} else {
				c.out("  ✅ API is reachable and credentials are valid\n")
			}
		}
	}

	c.out("\nLast 10 log entries:\n")
	lines, err := tail(f.LogFile, 10)
	switch {
	case err != nil:
		c.out("  (no log file: %v)\n", err)
	case len(lines) == 0:
		c.out("  (log file is empty)\n")
	}
	for _, l := range lines {
		c.out("  %s\n", l)
	}
	return nil
}

func mark(ok bool) string {
	if ok {
		return "✅"
	}
	return "❌"
}

func shorten(id string) string {
	if len(id) > 12 {
		return id[:12] + "..."
	}
	if id == "" {
		return "(unknown)"
	}
	return id
}

func spooled(f *agentkit.FileConfig) int {
	entries, err := os.ReadDir(f.AgentConfig().SpoolDir)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") && !strings.HasPrefix(e.Name(), ".") {
			n++
		}
	}
	return n
}

// reachable opens a TCP connection to the server's host and port.
func reachable(ctx context.Context, server string) error {
	u, err := url.Parse(server)
	if err != nil {
		return err
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		return err
	}
	return conn.Close()
}

// tail returns the last n lines of a file.
func tail(path string, n int) ([]string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	if fi, err := fh.Stat(); err == nil && fi.Size() > 1<<20 {
		_, _ = fh.Seek(-(1 << 20), 2)
	}
	var lines []string
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return lines, sc.Err()
}
