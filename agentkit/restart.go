package agentkit

import (
	"context"
	"fmt"
	"os/exec"
	"runtime"
)

func goarch() string { return runtime.GOARCH }
func goos() string   { return runtime.GOOS }

// RestartSystemd returns a Config.Restart that asks systemd to restart unit.
// --no-block queues the job and returns at once: systemd stops this process
// as part of the restart, so waiting for the job would deadlock.
func RestartSystemd(unit string) func(context.Context) error {
	return func(ctx context.Context) error {
		out, err := exec.CommandContext(ctx, "systemctl", "--no-block", "restart", unit).CombinedOutput()
		if err != nil {
			return fmt.Errorf("systemctl restart %s: %w: %s", unit, err, out)
		}
		return nil
	}
}

// RestartOpenRC returns a Config.Restart that restarts an OpenRC service.
// rc-service runs in its own session so that stopping the service does not
// kill it half-way.
func RestartOpenRC(service string) func(context.Context) error {
	return func(ctx context.Context) error {
		cmd := exec.Command("rc-service", service, "restart")
		detach(cmd)
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("rc-service %s restart: %w", service, err)
		}
		return cmd.Process.Release()
	}
}
