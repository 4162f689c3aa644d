package patchmon

import (
	"context"
	"fmt"
	"io"

	"github.com/patchmon-go/patchmon/pkg/dbmigrate"
)

// Command is what patchmon-server was asked to do.
type Command string

// Commands understood by RunCommand.
const (
	CommandServe         Command = "serve"
	CommandMigrate       Command = "migrate"
	CommandMigrateStatus Command = "migrate status"
	CommandConfigDump    Command = "config-dump"
	CommandHelp          Command = "help"
)

// SplitCommand separates the command words (serve, migrate [status], --config-dump, help)
// from the configuration flags that LoadConfig reads.
func SplitCommand(args []string) (Command, []string) {
	cmd := CommandServe
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--config-dump" || a == "-config-dump":
			cmd = CommandConfigDump
		case a == "-h" || a == "--help" || a == "help":
			cmd = CommandHelp
		case a == "serve" && len(rest) == 0:
		case a == "migrate" && len(rest) == 0:
			cmd = CommandMigrate
			if i+1 < len(args) && args[i+1] == "status" {
				cmd = CommandMigrateStatus
				i++
			}
		default:
			rest = append(rest, a)
		}
	}
	return cmd, rest
}

// RunCommand carries out cmd with cfg, writing human-readable output to out. Serving runs
// until ctx is cancelled.
func RunCommand(ctx context.Context, cmd Command, cfg Config, out io.Writer) error {
	switch cmd {
	case CommandHelp:
		_, err := io.WriteString(out, usage)
		return err
	case CommandConfigDump:
		if err := applyDefaults(&cfg, false); err != nil {
			return err
		}
		_, err := io.WriteString(out, cfg.Dump())
		return err
	}
	if cmd == CommandMigrate || cmd == CommandMigrateStatus {
		cfg.DisableListener = true
	}
	srv, err := New(cfg)
	if err != nil {
		return err
	}
	switch cmd {
	case CommandMigrate:
		// Start applies migrations; there is nothing else to do.
		if err := srv.Start(ctx); err != nil {
			return err
		}
		fmt.Fprintln(out, "database schema is up to date")
		return srv.Shutdown(context.Background())
	case CommandMigrateStatus:
		return srv.migrateStatus(ctx, out)
	}
	return srv.Run(ctx)
}

// migrateStatus prints the migration state without applying anything.
func (s *Server) migrateStatus(ctx context.Context, out io.Writer) error {
	if err := s.startDatabaseOnly(ctx); err != nil {
		return err
	}
	defer s.Shutdown(context.Background())
	m, err := dbmigrate.New(s.pool, dbmigrate.Config{Logger: s.log})
	if err != nil {
		return err
	}
	st, err := m.Status(ctx)
	if err != nil {
		return err
	}
	for _, a := range st.Migrations {
		state := "pending"
		if a.AppliedAt != nil {
			state = "applied " + a.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
			if a.Modified {
				state += " (file changed since it was applied)"
			}
		}
		fmt.Fprintf(out, "%04d %-40s %s\n", a.Version, a.Name, state)
	}
	fmt.Fprintf(out, "river job queue schema: version %d of %d\n", st.RiverCurrent, st.RiverLatest)
	if n := st.Pending(); n > 0 {
		fmt.Fprintf(out, "%d migration(s) pending: run `patchmon-server migrate` or start the server\n", n)
	} else {
		fmt.Fprintln(out, "database schema is up to date")
	}
	return nil
}

const usage = `Usage: patchmon-server [command] [flags]

Commands:
  serve             run the server (default)
  migrate           apply database migrations and exit
  migrate status    list migrations and whether they are applied
  --config-dump     print the effective configuration (secrets redacted) and exit
  help              show this text

Every setting is an environment variable (see docs/configuration.md), read from the
environment, from a .env file in the working directory (--env-file PATH to choose another)
and from flags named after it: PORT=3000 is --port 3000, DATABASE_URL is --database-url.
NAME_FILE=/path reads NAME from a file.
`
