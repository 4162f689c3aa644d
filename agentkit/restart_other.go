//go:build !unix

package agentkit

import (
	"context"
	"errors"
	"os/exec"
)

func detach(*exec.Cmd) {}

// ReExec is not available on this platform; the returned function fails.
func ReExec(path string, args, env []string) func(context.Context) error {
	return func(context.Context) error { return errors.New("re-exec is not supported on this platform") }
}
