//go:build unix

package agentkit

import (
	"context"
	"fmt"
	"os/exec"
	"syscall"
)

func detach(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} }

// ReExec returns a Config.Restart that replaces the running process with a
// fresh start of path (the updated binary) with the same arguments and
// environment; for agents started without a service manager (cron's
// @reboot fallback). On success it does not return.
func ReExec(path string, args, env []string) func(context.Context) error {
	return func(context.Context) error {
		if err := syscall.Exec(path, args, env); err != nil {
			return fmt.Errorf("re-exec %s: %w", path, err)
		}
		return nil
	}
}
