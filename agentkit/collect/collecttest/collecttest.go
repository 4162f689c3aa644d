// Package collecttest helps test collectors and code built on them: a
// [Runner] that answers commands with canned output (captured from real
// machines and kept in testdata), so a collector's parsing and logic run
// exactly as on a host without the host.
//
// Stability: a public test kit of the agentkit SDK; it follows the module's
// semantic versioning.
package collecttest

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/patchmon-go/patchmon/agentkit/collect"
)

// Result is the canned outcome of one command.
type Result struct {
	Stdout string
	// Code, when non-zero, makes the command fail with a
	// *collect.ExitError carrying it (and Stdout).
	Code   int
	Stderr string
	// Err, when set, is returned as is (a command that could not run).
	Err error
}

// Runner is a collect.Runner answering from a table. A command matches the
// longest registered prefix of its command line (name and arguments joined
// by single spaces), so "apt-cache policy" answers apt-cache policy whatever
// packages it is asked about. Unmatched commands fail with collect.ErrNotFound,
// like a missing tool. Runner is safe for concurrent use.
type Runner struct {
	mu    sync.Mutex
	table map[string]Result
	calls []string
}

var _ collect.Runner = (*Runner)(nil)

// NewRunner returns an empty Runner.
func NewRunner() *Runner { return &Runner{table: map[string]Result{}} }

// Set registers the result for commands starting with prefix.
func (r *Runner) Set(prefix string, res Result) *Runner {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.table[prefix] = res
	return r
}

// SetOutput registers Stdout for commands starting with prefix.
func (r *Runner) SetOutput(prefix, stdout string) *Runner {
	return r.Set(prefix, Result{Stdout: stdout})
}

// SetFile registers the contents of file as the output of commands starting
// with prefix; the test fails at once if the file cannot be read.
func (r *Runner) SetFile(t testing.TB, prefix, file string) *Runner {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("collecttest: %v", err)
	}
	return r.Set(prefix, Result{Stdout: string(b)})
}

// Calls returns the command lines run so far, in order.
func (r *Runner) Calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// Run implements collect.Runner.
func (r *Runner) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	line := strings.Join(append([]string{name}, args...), " ")
	r.mu.Lock()
	r.calls = append(r.calls, line)
	best, found := "", false
	for k := range r.table {
		if (line == k || strings.HasPrefix(line, k+" ")) && len(k) >= len(best) {
			best, found = k, true
		}
	}
	res := r.table[best]
	r.mu.Unlock()
	if !found {
		return nil, fmt.Errorf("%s: %w", name, collect.ErrNotFound)
	}
	if res.Err != nil {
		return []byte(res.Stdout), res.Err
	}
	if res.Code != 0 {
		return []byte(res.Stdout), &collect.ExitError{Command: line, Code: res.Code, Stderr: res.Stderr}
	}
	return []byte(res.Stdout), nil
}
