package system

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/agentkit/collect"
	"github.com/patchmon-go/patchmon/agentkit/collect/collecttest"
)

// root builds a host file tree; names ending in "/" are directories, values
// starting with "#!" are made executable.
func root(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if name[len(name)-1] == '/' {
			require.NoError(t, os.MkdirAll(p, 0o755))
			continue
		}
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		mode := os.FileMode(0o644)
		if len(content) > 1 && content[:2] == "#!" {
			mode = 0o755
		}
		require.NoError(t, os.WriteFile(p, []byte(content), mode))
	}
	return dir
}

func collector(dir string, r *collecttest.Runner) *Collector {
	c := New(collect.Host{Root: dir, Runner: r})
	c.now = func() time.Time { return time.Date(2024, 6, 30, 12, 0, 0, 0, time.UTC) }
	return c
}

func TestDebianWithPendingKernel(t *testing.T) {
	t.Parallel()
	dir := root(t, map[string]string{
		"/etc/os-release":                                "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n",
		"/proc/sys/kernel/hostname":                      "web-01\n",
		"/proc/sys/kernel/osrelease":                     "6.1.0-26-amd64\n",
		"/proc/uptime":                                   "350000.52 1300000.10\n",
		"/proc/stat":                                     "cpu  1 2 3\nbtime 1719400000\nprocesses 4\n",
		"/proc/loadavg":                                  "0.52 0.41 0.30 1/245 12345\n",
		"/proc/sys/kernel/random/boot_id":                "5c8b1f0e-2a3d-4c1e-9f2b-7d6e5a4b3c2d\n",
		"/etc/machine-id":                                "0123456789ABCDEF0123456789abcdef\n",
		"/boot/vmlinuz-6.1.0-26-amd64":                   "",
		"/boot/vmlinuz-6.1.0-27-amd64":                   "",
		"/lib/modules/6.1.0-26-amd64/modules.dep":        "",
		"/lib/modules/6.1.0-27-amd64/modules.dep":        "",
		"/lib/modules/6.1.0-9-amd64/updates/dkms/zfs.ko": "",
		"/run/reboot-required":                           "*** System restart required ***\n",
		"/run/reboot-required.pkgs":                      "linux-image-6.1.0-27-amd64\nlibc6\nlibc6\n",
	})
	r := collecttest.NewRunner().SetOutput("uname -m", "x86_64\n")
	s, err := collector(dir, r).System(context.Background())
	require.NoError(t, err)
	assert.Equal(t, collect.System{
		OSType: "debian", OSVersion: "12", Hostname: "web-01", Architecture: "x86_64",
		MachineID: "0123456789abcdef0123456789abcdef", KernelVersion: "6.1.0-26-amd64",
		InstalledKernelVersion: "6.1.0-27-amd64", SELinuxStatus: "disabled",
		Uptime: 350000 * time.Second, BootTime: time.Unix(1719400000, 0).UTC(),
		LoadAverage: []float64{0.52, 0.41, 0.30}, NeedsReboot: true,
		RebootReason: "reboot-required flag is set by linux-image-6.1.0-27-amd64, libc6; kernel 6.1.0-27-amd64 is installed but 6.1.0-26-amd64 is running",
	}, s)
}

func TestRHELNeedsRestarting(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"/etc/os-release":                                         "ID=\"rocky\"\nVERSION_ID=\"9.4\"\n",
		"/proc/sys/kernel/osrelease":                              "5.14.0-427.13.1.el9_4.x86_64\n",
		"/sys/fs/selinux/enforce":                                 "1",
		"/usr/bin/needs-restarting":                               "#!/bin/sh\n",
		"/var/lib/dbus/machine-id":                                "uninitialized\n",
		"/etc/machine-id":                                         "\n",
		"/sys/class/dmi/id/product_uuid":                          "EC2A1B3C-1111-2222-3333-444455556666\n",
		"/boot/vmlinuz-5.14.0-427.13.1.el9_4.x86_64":              "",
		"/boot/vmlinuz-0-rescue-0123456789abcdef0123456789abcdef": "",
		"/lib/modules/5.14.0-427.13.1.el9_4.x86_64/modules.dep":   "",
	}
	needs := "Core libraries or services have been updated since boot-up:\n  * kernel\n  * systemd\n\nReboot is required to fully utilize these updates.\nMore information: https://access.redhat.com/solutions/27943\n"
	r := collecttest.NewRunner().SetOutput("uname -m", "x86_64").
		Set("needs-restarting -r", collecttest.Result{Stdout: needs, Code: 1})
	s, err := collector(root(t, files), r).System(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "enabled", s.SELinuxStatus)
	assert.Equal(t, "ec2a1b3c-1111-2222-3333-444455556666", s.MachineID)
	assert.Equal(t, "5.14.0-427.13.1.el9_4.x86_64", s.InstalledKernelVersion)
	assert.True(t, s.NeedsReboot)
	assert.Equal(t, "updated since boot: kernel, systemd", s.RebootReason)

	// Exit 0: no reboot.
	r.Set("needs-restarting -r", collecttest.Result{Stdout: "No core libraries or services have been updated since boot-up.\nReboot should not be necessary.\n"})
	s, err = collector(root(t, files), r).System(context.Background())
	require.NoError(t, err)
	assert.False(t, s.NeedsReboot)
	assert.Empty(t, s.RebootReason)

	// Any other failure says nothing about reboots (the stock agent's bug):
	// a crash, a missing dependency, an exit 1 from something else.
	for _, res := range []collecttest.Result{
		{Code: 2, Stderr: "Traceback (most recent call last):"},
		{Code: 1, Stderr: "No such command: needs-restarting."},
		{Err: context.DeadlineExceeded},
	} {
		r.Set("needs-restarting -r", res)
		s, err = collector(root(t, files), r).System(context.Background())
		require.NoError(t, err)
		assert.False(t, s.NeedsReboot, "%+v", res)
	}
}

func TestArchRunningKernelRemoved(t *testing.T) {
	t.Parallel()
	// pacman -Syu replaced the module directory of the running kernel.
	dir := root(t, map[string]string{
		"/etc/os-release":                             "ID=arch\nBUILD_ID=rolling\n",
		"/proc/sys/kernel/osrelease":                  "6.9.7-arch1-1\n",
		"/usr/lib/modules/6.10.2-arch1-1/vmlinuz":     "",
		"/usr/lib/modules/6.10.2-arch1-1/modules.dep": "",
		"/etc/machine-id":                             "0123456789abcdef0123456789abcdef\n",
	})
	s, err := collector(dir, collecttest.NewRunner()).System(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "arch", s.OSType)
	assert.True(t, s.NeedsReboot)
	assert.Equal(t, "kernel 6.10.2-arch1-1 is installed but 6.9.7-arch1-1 is running", s.RebootReason)
}

func TestContainerAndMachineIDFallbacks(t *testing.T) {
	t.Parallel()
	// A container: no kernel installed, newer-looking host kernel running,
	// no machine-id anywhere but the boot id — which must not be used.
	dir := root(t, map[string]string{
		"/etc/os-release":                 "ID=alpine\nVERSION_ID=3.20.1\n",
		"/proc/sys/kernel/osrelease":      "6.8.0-1-generic\n",
		"/proc/sys/kernel/random/boot_id": "5c8b1f0e-2a3d-4c1e-9f2b-7d6e5a4b3c2d\n",
		"/sys/class/dmi/id/product_uuid":  "00000000-0000-0000-0000-000000000000\n",
		"/proc/uptime":                    "120.00 100.00\n",
	})
	s, err := collector(dir, collecttest.NewRunner()).System(context.Background())
	require.NoError(t, err)
	assert.Empty(t, s.MachineID)
	assert.Empty(t, s.InstalledKernelVersion)
	assert.False(t, s.NeedsReboot)
	assert.Equal(t, 2*time.Minute, s.Uptime)
	assert.Equal(t, time.Date(2024, 6, 30, 11, 58, 0, 0, time.UTC), s.BootTime)
}

func TestFreeBSD(t *testing.T) {
	t.Parallel()
	dir := root(t, map[string]string{
		"/etc/os-release":      "NAME=FreeBSD\nVERSION=\"14.0-RELEASE-p6\"\nID=freebsd\nVERSION_ID=\"14.0\"\n",
		"/etc/hostid":          "4c4c4544-0042-3910-8046-b4c04f4e4a32\n",
		"/bin/freebsd-version": "#!/bin/sh\n",
	})
	r := collecttest.NewRunner().SetOutput("uname -m", "amd64\n").SetOutput("uname -r", "14.0-RELEASE-p5\n").
		SetOutput("hostname", "bsd1\n").SetOutput("freebsd-version -k", "14.0-RELEASE-p6\n").
		SetOutput("sysctl -n kern.boottime", "{ sec = 1719748500, usec = 5 } Sun Jun 30 11:55:00 2024\n").
		SetOutput("sysctl -n vm.loadavg", "{ 0.10 0.20 0.30 }\n")
	s, err := collector(dir, r).System(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "bsd1", s.Hostname)
	assert.Equal(t, "4c4c4544-0042-3910-8046-b4c04f4e4a32", s.MachineID)
	assert.Equal(t, []float64{0.1, 0.2, 0.3}, s.LoadAverage)
	assert.Equal(t, time.Unix(1719748500, 0).UTC(), s.BootTime)
	assert.Equal(t, 300*time.Second, s.Uptime)
	assert.True(t, s.NeedsReboot)
	assert.Equal(t, "kernel 14.0-RELEASE-p6 is installed but 14.0-RELEASE-p5 is running", s.RebootReason)
}

// FuzzSystem feeds arbitrary content to every file and command output the
// collector parses.
func FuzzSystem(f *testing.F) {
	f.Add("350000.52 1300000.10\n", "0.52 0.41 0.30 1/245 12345\n", "linux-image-6.1.0-27-amd64\nlibc6\n",
		"Core libraries or services have been updated since boot-up:\n  * kernel\n\nReboot is required\n")
	f.Add("", "", "", "")
	f.Fuzz(func(t *testing.T, uptime, loadavg, pkgs, needs string) {
		dir := t.TempDir()
		files := map[string]string{
			"/etc/os-release": "ID=debian\n", "/proc/uptime": uptime, "/proc/loadavg": loadavg,
			"/proc/stat": "btime " + uptime + "\n", "/run/reboot-required": "", "/run/reboot-required.pkgs": pkgs,
			"/etc/machine-id": loadavg, "/sys/fs/selinux/enforce": pkgs, "/usr/bin/needs-restarting": "#!/bin/sh\n",
			"/proc/sys/kernel/osrelease": "6.1.0-26-amd64", "/boot/vmlinuz-" + strings.ReplaceAll(strings.ReplaceAll(pkgs, "/", ""), "\x00", ""): "",
		}
		for name, content := range files {
			p := filepath.Join(dir, name)
			if os.MkdirAll(filepath.Dir(p), 0o755) != nil {
				continue
			}
			mode := os.FileMode(0o644)
			if strings.HasPrefix(content, "#!") {
				mode = 0o755
			}
			_ = os.WriteFile(p, []byte(content), mode)
		}
		r := collecttest.NewRunner().Set("needs-restarting -r", collecttest.Result{Stdout: needs, Code: 1}).
			SetOutput("sysctl -n kern.boottime", uptime).SetOutput("sysctl -n vm.loadavg", loadavg)
		s, err := collector(dir, r).System(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if s.NeedsReboot != (s.RebootReason != "") {
			t.Fatalf("reboot flag and reason disagree: %v %q", s.NeedsReboot, s.RebootReason)
		}
		if len(s.LoadAverage) != 0 && len(s.LoadAverage) != 3 {
			t.Fatalf("load average of %d values", len(s.LoadAverage))
		}
		if s.Uptime < 0 {
			t.Fatal("negative uptime")
		}
	})
}
