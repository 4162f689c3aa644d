// Package agentcli is the command line of patchmon-agent, as documented in
// "patchmon-agent Management": serve, report [--json], ping, diagnostics,
// config show, config set-api, check-version, update-agent and version, with
// the global --config and --log-level flags. cmd/patchmon-agent only hands it
// the process environment; everything else — reading config.yml, logging,
// root checks, wiring an agentkit.Agent — happens here, testable without a
// process or root.
//
// Stability: Run and Env follow the module's semantic versioning; the
// command output is meant for people and may be reworded.
package agentcli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/patchmon-go/patchmon/agentkit"
)

// Env is the process environment the command line runs in.
type Env struct {
	// Args are the arguments without the program name.
	Args []string
	// Getenv reads an environment variable. Default: none set.
	Getenv func(string) string
	// Environ is the full environment, for re-executing after an update.
	Environ []string
	// Stdout and Stderr receive output. Default: discarded.
	Stdout, Stderr io.Writer
	// Euid is the effective user id; commands that need root refuse
	// anything but 0.
	Euid int
	// Executable is the running binary, which self-update replaces.
	// Default: "" (update-agent and automatic updates are unavailable).
	Executable string
}

// ErrUsage marks command-line mistakes (errors.Is); ExitCode maps them to 2.
var ErrUsage = errors.New("invalid usage")

// usageError is a command-line mistake worded for the user.
type usageError struct{ msg string }

func (e *usageError) Error() string        { return e.msg }
func (e *usageError) Is(target error) bool { return target == ErrUsage }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// ErrNotRoot is returned by commands that need root privileges.
var ErrNotRoot = errors.New("this command must be run as root (try: sudo patchmon-agent …)")

// ExitCode maps Run's error to a process exit status: 0 for nil, 2 for
// usage errors, 1 otherwise.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrUsage):
		return 2
	}
	return 1
}

// options are the parsed command line.
type options struct {
	config   string
	logLevel string // "" when not given
	json     bool
	version  bool
	help     bool
	words    []string
}

func parseArgs(args []string) (options, error) {
	var o options
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, value, hasValue := strings.Cut(a, "=")
		takeValue := func() (string, error) {
			if hasValue {
				return value, nil
			}
			if i+1 >= len(args) {
				return "", usageErrorf("%s needs a value", name)
			}
			i++
			return args[i], nil
		}
		var err error
		switch name {
		case "--config", "-config":
			o.config, err = takeValue()
		case "--log-level", "-log-level":
			o.logLevel, err = takeValue()
		case "--json":
			o.json = true
		case "--version", "-v":
			o.version = true
		case "--help", "-h", "help":
			o.help = true
		default:
			if strings.HasPrefix(a, "-") {
				return o, usageErrorf("unknown flag %s", a)
			}
			o.words = append(o.words, a)
		}
		if err != nil {
			return o, err
		}
	}
	if o.logLevel != "" {
		if _, err := agentkit.ParseLevel(o.logLevel); err != nil {
			return o, usageErrorf("%v", err)
		}
	}
	return o, nil
}

const usage = `PatchMon Agent — reports packages, updates and system facts to a PatchMon server.

Usage:
  patchmon-agent [command] [flags]

Commands:
  serve                 Run the agent as a long-lived service (primary mode)          (root)
  report                Collect and send a one-off system/package report              (root)
  report --json         Print the report payload as JSON instead of sending it        (root)
  ping                  Test connectivity and validate API credentials                (root)
  diagnostics           Show system, agent, configuration and connectivity details    (root)
  config show           Display the configuration and credential status
  config set-api <API_ID> <API_KEY> <SERVER_URL>
                        Save API credentials and server URL, then test them           (root)
  check-version         Check whether an agent update is available                    (root)
  update-agent          Download, verify and install the latest agent                 (root)
  version               Print the agent version

Global flags:
  --config <path>       Configuration file (default /etc/patchmon/config.yml)
  --log-level <level>   Override the log level: debug, info, warn, error
  --version             Print the agent version and exit
  --help                Show this help
`

// Run executes the command line in env and returns its error, already
// worded for the user ("Error: " + err.Error() is what to print).
func Run(ctx context.Context, env Env) error {
	if env.Stdout == nil {
		env.Stdout = io.Discard
	}
	if env.Stderr == nil {
		env.Stderr = io.Discard
	}
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	o, err := parseArgs(env.Args)
	if err != nil {
		fmt.Fprint(env.Stderr, usage)
		return err
	}
	if o.version {
		fmt.Fprintf(env.Stdout, "PatchMon Agent v%s\n", agentkit.Version())
		return nil
	}
	if o.help || len(o.words) == 0 {
		fmt.Fprint(env.Stdout, usage)
		return nil
	}
	c := &cli{env: env, opts: o}
	cmd, args := o.words[0], o.words[1:]
	if o.json && cmd != "report" {
		return usageErrorf("--json only applies to report")
	}
	switch cmd {
	case "version":
		return c.noArgs(args, c.version)(ctx)
	case "serve":
		return c.noArgs(args, c.root(c.serve))(ctx)
	case "report":
		return c.noArgs(args, c.root(c.report))(ctx)
	case "ping":
		return c.noArgs(args, c.root(c.ping))(ctx)
	case "diagnostics":
		return c.noArgs(args, c.root(c.diagnostics))(ctx)
	case "check-version":
		return c.noArgs(args, c.root(c.checkVersion))(ctx)
	case "update-agent":
		return c.noArgs(args, c.root(c.updateAgent))(ctx)
	case "config":
		if len(args) == 0 {
			return usageErrorf("config needs a subcommand: show or set-api")
		}
		switch args[0] {
		case "show":
			return c.noArgs(args[1:], c.configShow)(ctx)
		case "set-api":
			if len(args) != 4 {
				return usageErrorf("usage: patchmon-agent config set-api <API_ID> <API_KEY> <SERVER_URL>")
			}
			return c.root(func(ctx context.Context) error { return c.setAPI(ctx, args[1], args[2], args[3]) })(ctx)
		}
		return usageErrorf("unknown config subcommand %q (use show or set-api)", args[0])
	}
	return usageErrorf("unknown command %q (see patchmon-agent --help)", cmd)
}

// cli carries one invocation.
type cli struct {
	env  Env
	opts options
}

type command func(context.Context) error

func (c *cli) noArgs(args []string, f command) command {
	if len(args) > 0 {
		return func(context.Context) error {
			return usageErrorf("unexpected argument %q", args[0])
		}
	}
	return f
}

func (c *cli) root(f command) command {
	return func(ctx context.Context) error {
		if c.env.Euid != 0 {
			return ErrNotRoot
		}
		return f(ctx)
	}
}

func (c *cli) out(format string, args ...any) { fmt.Fprintf(c.env.Stdout, format, args...) }

// loadFile reads the config file named by --config.
func (c *cli) loadFile() (*agentkit.FileConfig, error) {
	f, err := agentkit.LoadFile(c.opts.config)
	if err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	return f, nil
}

// logLevel is --log-level, else the file's.
func (c *cli) logLevel(f *agentkit.FileConfig) string {
	if c.opts.logLevel != "" {
		return c.opts.logLevel
	}
	return f.LogLevel
}

// logger opens the agent log. stderr says whether records also go to
// standard error. A log file that cannot be opened is reported on standard
// error and logging continues there.
func (c *cli) logger(f *agentkit.FileConfig, stderr bool) (*slog.Logger, io.Closer) {
	lc := agentkit.LogConfig{File: f.LogFile, Level: c.logLevel(f)}
	if stderr {
		lc.Stderr = c.env.Stderr
	}
	log, closer, err := agentkit.NewLogger(lc)
	if err != nil {
		fmt.Fprintf(c.env.Stderr, "Warning: cannot write the log file %s: %v; logging to standard error\n", f.LogFile, err)
		lc.File, lc.Stderr = "", c.env.Stderr
		if log, closer, err = agentkit.NewLogger(lc); err != nil {
			return slog.New(slog.DiscardHandler), io.NopCloser(nil)
		}
	}
	return log, closer
}

// underSystemd reports whether systemd started this process (the journal
// then collects standard error).
func (c *cli) underSystemd() bool {
	return c.env.Getenv("INVOCATION_ID") != "" || c.env.Getenv("JOURNAL_STREAM") != ""
}

// interactive reports whether standard error is a terminal.
func (c *cli) interactive() bool {
	f, ok := c.env.Stderr.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// newAgent builds the agent for a command. needCreds says whether the
// command talks to the server.
func (c *cli) newAgent(f *agentkit.FileConfig, log *slog.Logger, needCreds bool, mods ...func(*agentkit.Config)) (*agentkit.Agent, error) {
	if needCreds {
		if f.PatchmonServer == "" {
			return nil, fmt.Errorf("no server configured: set patchmon_server in %s or run patchmon-agent config set-api", f.Path)
		}
		if err := f.LoadCredentials(); err != nil {
			return nil, fmt.Errorf("%w (run patchmon-agent config set-api)", err)
		}
	}
	cfg := f.AgentConfig()
	cfg.Logger = log
	cfg.BinaryPath = c.env.Executable
	if !needCreds {
		cfg.ServerURL = ""
	}
	for _, m := range mods {
		m(&cfg)
	}
	return agentkit.New(cfg)
}
