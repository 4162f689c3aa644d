// Package system collects operating system facts: distribution and version,
// hostname, architecture, running and newest installed kernel, whether a
// reboot is required and why, SELinux state, uptime, boot time, load and a
// stable machine id.
//
// Reboot detection combines three signals, each only when it is certain: the
// reboot-required flag file Debian and Ubuntu packages set; needs-restarting
// -r (RHEL family), trusted only when it exits 1 and says so, since any other
// failure (a missing plugin, a broken repository) says nothing about reboots;
// and a newer installed kernel than the running one. The machine id comes from
// /etc/machine-id, then D-Bus's copy, then the firmware's product UUID (or
// FreeBSD's hostid) — never the boot id, which changes on every boot.
//
// Linux facts are read from /proc and /sys; on FreeBSD the collector falls
// back to sysctl and freebsd-version.
//
// Stability: the exported API follows the module's semantic versioning.
package system

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/patchmon-go/patchmon/agentkit/collect"
)

// Collector collects system facts. Build it with New.
type Collector struct {
	host collect.Host
	now  func() time.Time
}

var _ collect.SystemCollector = (*Collector)(nil)

// New returns the system collector for host.
func New(host collect.Host) *Collector { return &Collector{host: host, now: time.Now} }

// System implements collect.SystemCollector. Facts that cannot be read are
// left empty; only a host without os-release and kernel release fails.
func (c *Collector) System(ctx context.Context) (collect.System, error) {
	var s collect.System
	osr, err := c.host.OSRelease()
	if err == nil {
		s.OSType = strings.ToLower(osr["ID"])
		s.OSVersion = osr["VERSION_ID"]
		if s.OSVersion == "" {
			// Debian testing/sid have no VERSION_ID.
			if v, err := c.host.ReadString("/etc/debian_version"); err == nil {
				s.OSVersion = v
			} else {
				s.OSVersion = osr["VERSION_CODENAME"]
			}
		}
	}
	s.Hostname = c.hostname(ctx)
	s.Architecture = c.command(ctx, "uname", "-m")
	s.KernelVersion = c.runningKernel(ctx)
	if s.OSType == "" && s.KernelVersion == "" {
		return s, fmt.Errorf("system: neither os-release nor the kernel release is readable: %w", err)
	}
	s.MachineID = c.machineID()
	s.SELinuxStatus = c.selinux()
	s.Uptime, s.BootTime = c.uptime(ctx)
	s.LoadAverage = c.load(ctx)

	var reasons []string
	if r, ok := c.rebootRequiredFile(); ok {
		reasons = append(reasons, r)
	}
	if r, ok := c.needsRestarting(ctx); ok {
		reasons = append(reasons, r)
	}
	s.InstalledKernelVersion = c.newestKernel(ctx)
	if s.InstalledKernelVersion != "" && s.KernelVersion != "" &&
		s.InstalledKernelVersion != s.KernelVersion && collect.CompareRPM(s.InstalledKernelVersion, s.KernelVersion) > 0 {
		reasons = append(reasons, fmt.Sprintf("kernel %s is installed but %s is running", s.InstalledKernelVersion, s.KernelVersion))
	}
	s.NeedsReboot = len(reasons) > 0
	s.RebootReason = strings.Join(reasons, "; ")
	return s, nil
}

func (c *Collector) command(ctx context.Context, name string, args ...string) string {
	out, err := c.host.Run(ctx, name, args...)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func (c *Collector) hostname(ctx context.Context) string {
	if h, err := c.host.ReadString("/proc/sys/kernel/hostname"); err == nil && h != "" {
		return h
	}
	if h := c.command(ctx, "hostname"); h != "" {
		return h
	}
	h, _ := c.host.ReadString("/etc/hostname")
	return h
}

func (c *Collector) runningKernel(ctx context.Context) string {
	if r, err := c.host.ReadString("/proc/sys/kernel/osrelease"); err == nil && r != "" {
		return r
	}
	return c.command(ctx, "uname", "-r")
}

// bootSec extracts the seconds of FreeBSD's kern.boottime.
var bootSec = regexp.MustCompile(`sec = (\d+)`)

// hexID matches a systemd/D-Bus machine id: 32 lower-case hex digits.
var hexID = regexp.MustCompile(`^[0-9a-f]{32}$`)

func (c *Collector) machineID() string {
	for _, p := range []string{"/etc/machine-id", "/var/lib/dbus/machine-id"} {
		if id, err := c.host.ReadString(p); err == nil {
			if id = strings.ToLower(id); hexID.MatchString(id) && strings.Trim(id, "0") != "" {
				return id
			}
		}
	}
	if id, err := c.host.ReadString("/sys/class/dmi/id/product_uuid"); err == nil && validUUID(id) {
		return strings.ToLower(id)
	}
	if id, err := c.host.ReadString("/etc/hostid"); err == nil && validUUID(id) {
		return strings.ToLower(id)
	}
	return ""
}

// validUUID rejects the placeholders firmware ships instead of a UUID.
func validUUID(id string) bool {
	hex := strings.ToLower(strings.ReplaceAll(id, "-", ""))
	if len(hex) != 32 {
		return false
	}
	for _, r := range hex {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return strings.Trim(hex, "0") != "" && strings.Trim(hex, "f") != ""
}

func (c *Collector) selinux() string {
	v, err := c.host.ReadString("/sys/fs/selinux/enforce")
	if err != nil {
		// selinuxfs is mounted whenever SELinux is active, in any mode.
		return "disabled"
	}
	if v == "1" {
		return "enabled"
	}
	return "permissive"
}

func (c *Collector) uptime(ctx context.Context) (time.Duration, time.Time) {
	var up time.Duration
	if s, err := c.host.ReadString("/proc/uptime"); err == nil {
		if f := strings.Fields(s); len(f) > 0 {
			if secs, err := strconv.ParseFloat(f[0], 64); err == nil && secs >= 0 {
				up = time.Duration(secs * float64(time.Second)).Truncate(time.Second)
			}
		}
	}
	var boot time.Time
	if s, err := c.host.ReadString("/proc/stat"); err == nil {
		for _, line := range strings.Split(s, "\n") {
			if v, ok := strings.CutPrefix(line, "btime "); ok {
				if sec, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && sec > 0 {
					boot = time.Unix(sec, 0).UTC()
				}
			}
		}
	}
	if boot.IsZero() {
		// FreeBSD: "{ sec = 1719400000, usec = 123456 } Wed Jun 26 ..."
		if s := c.command(ctx, "sysctl", "-n", "kern.boottime"); s != "" {
			if m := bootSec.FindStringSubmatch(s); m != nil {
				if sec, err := strconv.ParseInt(m[1], 10, 64); err == nil {
					boot = time.Unix(sec, 0).UTC()
				}
			}
		}
	}
	if up == 0 && !boot.IsZero() {
		up = c.now().Sub(boot).Truncate(time.Second)
	}
	if boot.IsZero() && up > 0 {
		boot = c.now().Add(-up).Truncate(time.Second).UTC()
	}
	return up, boot
}

func (c *Collector) load(ctx context.Context) []float64 {
	s, err := c.host.ReadString("/proc/loadavg")
	if err != nil {
		// FreeBSD: "{ 0.10 0.20 0.30 }"
		s = strings.Trim(c.command(ctx, "sysctl", "-n", "vm.loadavg"), "{} ")
	}
	f := strings.Fields(s)
	if len(f) < 3 {
		return nil
	}
	out := make([]float64, 0, 3)
	for _, v := range f[:3] {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil
		}
		out = append(out, x)
	}
	return out
}

// rebootRequiredFile reads the flag Debian and Ubuntu packages (kernel, libc,
// systemd, …) set through update-notifier-common or their postinst.
func (c *Collector) rebootRequiredFile() (string, bool) {
	for _, dir := range []string{"/run", "/var/run"} {
		if !c.host.Exists(dir + "/reboot-required") {
			continue
		}
		reason := "reboot-required flag is set"
		if pkgs, err := c.host.ReadString(dir + "/reboot-required.pkgs"); err == nil && pkgs != "" {
			seen := map[string]bool{}
			var names []string
			for _, p := range strings.Fields(pkgs) {
				if !seen[p] {
					seen[p] = true
					names = append(names, p)
				}
			}
			if len(names) > 5 {
				names = append(names[:5], fmt.Sprintf("and %d more", len(names)-5))
			}
			reason += " by " + strings.Join(names, ", ")
		}
		return reason, true
	}
	return "", false
}

// needsRestarting asks needs-restarting -r (yum-utils / dnf-utils). It exits
// 1 when a reboot is needed and 0 when not; anything else — and an exit 1
// whose output is not needs-restarting's (a wrapper failing) — is no answer.
func (c *Collector) needsRestarting(ctx context.Context) (string, bool) {
	if !c.host.HasCommand("needs-restarting") {
		return "", false
	}
	out, err := c.host.Run(ctx, "needs-restarting", "-r")
	if collect.ExitCode(err) != 1 {
		return "", false
	}
	text := string(out)
	if !strings.Contains(text, "Reboot is required") && !strings.Contains(text, "updated since boot-up") {
		return "", false
	}
	var items []string
	for _, line := range strings.Split(text, "\n") {
		if item, ok := strings.CutPrefix(strings.TrimSpace(line), "* "); ok {
			items = append(items, strings.TrimSpace(item))
		}
	}
	if len(items) == 0 {
		return "needs-restarting reports a reboot is required", true
	}
	return "updated since boot: " + strings.Join(items, ", "), true
}

// newestKernel returns the newest installed kernel release. On Linux a
// release counts as installed when /boot has its image or its module
// directory has modules.dep or an image (Fedora and Arch keep it there); a
// bare module directory left behind by DKMS after removal does not count.
// Fedora's rescue images are not kernels anyone boots by default. On
// FreeBSD, freebsd-version -k names the installed kernel.
func (c *Collector) newestKernel(ctx context.Context) string {
	candidates := map[string]bool{}
	for _, p := range c.host.Glob("/boot/vmlinuz-*") {
		candidates[strings.TrimPrefix(path.Base(p), "vmlinuz-")] = true
	}
	for _, dir := range []string{"/lib/modules", "/usr/lib/modules"} {
		for _, p := range c.host.Glob(dir + "/*") {
			if c.host.Exists(p+"/modules.dep") || c.host.Exists(p+"/vmlinuz") {
				candidates[path.Base(p)] = true
			}
		}
	}
	newest := ""
	for k := range candidates {
		if strings.Contains(k, "rescue") || !strings.ContainsAny(k, "0123456789") {
			continue
		}
		if newest == "" || collect.CompareRPM(k, newest) > 0 {
			newest = k
		}
	}
	if newest == "" {
		if c.host.HasCommand("freebsd-version") {
			newest = c.command(ctx, "freebsd-version", "-k")
		}
	}
	return newest
}
