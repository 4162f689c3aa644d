package collect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Runner runs a command and returns its standard output. A command that runs
// but exits non-zero returns its output together with an [*ExitError]; some
// tools report results through the exit code (dnf check-update exits 100 when
// updates exist), so callers inspect it with errors.As.
type Runner interface {
	Run(ctx context.Context, name string, args ...string) ([]byte, error)
}

// ExitError is a command that ran and exited with a non-zero code.
type ExitError struct {
	Command string // the command line, for messages
	Code    int
	Stderr  string // the first KiB of standard error
}

func (e *ExitError) Error() string {
	msg := fmt.Sprintf("%s: exit status %d", e.Command, e.Code)
	if s := strings.TrimSpace(e.Stderr); s != "" {
		msg += ": " + s
	}
	return msg
}

// ExitCode returns the exit code carried by err, or -1 when err is not an
// [*ExitError] (the command did not run, or was killed).
func ExitCode(err error) int {
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return -1
}

// ExecRunner runs commands on this machine with the C locale, so that their
// output is the untranslated text the parsers expect, and without a terminal.
type ExecRunner struct {
	// Timeout bounds each command. Default: 10 minutes (a package cache
	// refresh on a slow mirror can take that long).
	Timeout time.Duration
}

// Run implements [Runner].
func (r ExecRunner) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = commandEnv()
	var stdout bytes.Buffer
	stderr := &limitedBuffer{max: 1024}
	cmd.Stdout = &stdout
	cmd.Stderr = stderr
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if err == nil {
		return stdout.Bytes(), nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() >= 0 {
		return stdout.Bytes(), &ExitError{Command: commandLine(name, args), Code: ee.ExitCode(), Stderr: stderr.String()}
	}
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", name, ErrNotFound)
	}
	if ctx.Err() != nil {
		return stdout.Bytes(), fmt.Errorf("%s: %w", commandLine(name, args), ctx.Err())
	}
	return stdout.Bytes(), fmt.Errorf("%s: %w", commandLine(name, args), err)
}

// commandEnv is a fixed, minimal environment: the C locale makes every tool
// print untranslated, parseable output, and DEBIAN_FRONTEND keeps apt from
// ever prompting. PATH covers the directories package managers live in.
func commandEnv() []string {
	return []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"LC_ALL=C",
		"LANG=C",
		"DEBIAN_FRONTEND=noninteractive",
		"APT_LISTCHANGES_FRONTEND=none",
		"HOME=/root",
	}
}

func commandLine(name string, args []string) string {
	// Long argument lists (apt-cache policy with every package) would make
	// error messages unreadable.
	if len(args) > 6 {
		return name + " " + strings.Join(args[:6], " ") + fmt.Sprintf(" … (%d more)", len(args)-6)
	}
	return strings.TrimSpace(name + " " + strings.Join(args, " "))
}

type limitedBuffer struct {
	buf bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		if len(p) > room {
			b.buf.Write(p[:room])
		} else {
			b.buf.Write(p)
		}
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string { return b.buf.String() }

// Host is how collectors reach the machine they describe: files are read below
// Root and commands are run through Runner. The zero value is this machine.
type Host struct {
	// Root is the directory the collectors treat as "/". Default: "/".
	Root string
	// Runner runs commands. Default: ExecRunner{}.
	Runner Runner
}

// Path returns the real path of p, an absolute path on the described host.
func (h Host) Path(p string) string {
	if h.Root == "" || h.Root == "/" {
		return p
	}
	return filepath.Join(h.Root, p)
}

// ReadFile reads the file at p on the host.
func (h Host) ReadFile(p string) ([]byte, error) { return os.ReadFile(h.Path(p)) }

// ReadString reads the file at p on the host, trimmed of surrounding space.
func (h Host) ReadString(p string) (string, error) {
	b, err := h.ReadFile(p)
	return strings.TrimSpace(string(b)), err
}

// Exists reports whether p exists on the host.
func (h Host) Exists(p string) bool {
	_, err := os.Stat(h.Path(p))
	return err == nil
}

// Glob returns the host paths (not the real ones) matching pattern, sorted.
func (h Host) Glob(pattern string) []string {
	matches, _ := filepath.Glob(h.Path(pattern))
	if h.Root == "" || h.Root == "/" {
		return matches
	}
	out := make([]string, 0, len(matches))
	for _, m := range matches {
		rel, err := filepath.Rel(h.Root, m)
		if err != nil {
			continue
		}
		out = append(out, "/"+filepath.ToSlash(rel))
	}
	return out
}

// Stat returns the file info of p on the host.
func (h Host) Stat(p string) (fs.FileInfo, error) { return os.Stat(h.Path(p)) }

// Run runs a command on the host.
func (h Host) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	r := h.Runner
	if r == nil {
		r = ExecRunner{}
	}
	return r.Run(ctx, name, args...)
}

// binDirs are where HasCommand looks; the agent runs from systemd or cron with
// a minimal PATH, so it does not depend on the environment's.
var binDirs = [...]string{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}

// HasCommand reports whether an executable called name exists in one of the
// standard binary directories of the host.
func (h Host) HasCommand(name string) bool {
	for _, d := range binDirs {
		fi, err := os.Stat(h.Path(d + "/" + name))
		if err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return true
		}
	}
	return false
}
