// Package hardware collects hardware facts: CPU model and core count, RAM,
// swap and the mounted disk filesystems with their sizes.
//
// Linux facts come from /proc (cpuinfo, meminfo, the mount table) and
// statfs(2); on FreeBSD the collector falls back to sysctl and df. Disks are
// real storage filesystems only: pseudo, memory, overlay, network and
// read-only image filesystems (squashfs snaps) are left out, and a device
// mounted several times (bind mounts) is listed once.
//
// Stability: the exported API follows the module's semantic versioning.
package hardware

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/patchmon-go/patchmon/agentkit/collect"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

// Collector collects hardware facts. Build it with New.
type Collector struct {
	host   collect.Host
	statfs func(path string) (total, free uint64, err error)
}

var _ collect.HardwareCollector = (*Collector)(nil)

// New returns the hardware collector for host.
func New(host collect.Host) *Collector {
	return &Collector{host: host, statfs: statfs}
}

const gib = 1 << 30

// Hardware implements collect.HardwareCollector. Facts that cannot be read
// are left zero.
func (c *Collector) Hardware(ctx context.Context) (collect.Hardware, error) {
	var h collect.Hardware
	if b, err := c.host.ReadFile("/proc/cpuinfo"); err == nil {
		h.CPUModel, h.CPUCores = parseCPUInfo(string(b))
	} else {
		h.CPUModel = c.sysctl(ctx, "hw.model")
		h.CPUCores, _ = strconv.Atoi(c.sysctl(ctx, "hw.ncpu"))
	}
	if b, err := c.host.ReadFile("/proc/meminfo"); err == nil {
		mem, swap := parseMeminfo(string(b))
		h.RAMInstalled, h.SwapSize = round2(float64(mem)/gib), round2(float64(swap)/gib)
	} else {
		mem, _ := strconv.ParseUint(c.sysctl(ctx, "hw.physmem"), 10, 64)
		swap, _ := strconv.ParseUint(c.sysctl(ctx, "vm.swap_total"), 10, 64)
		h.RAMInstalled, h.SwapSize = round2(float64(mem)/gib), round2(float64(swap)/gib)
	}
	if b, err := c.host.ReadFile("/proc/self/mountinfo"); err == nil {
		h.Disks = c.disks(parseMountinfo(string(b)))
	} else if out, err := c.host.Run(ctx, "df", "-kP"); err == nil {
		h.Disks = parseDF(string(out))
	}
	if h.CPUModel == "" && h.CPUCores == 0 && h.RAMInstalled == 0 {
		return h, fmt.Errorf("hardware: neither /proc nor sysctl is readable")
	}
	return h, nil
}

func (c *Collector) sysctl(ctx context.Context, name string) string {
	out, err := c.host.Run(ctx, "sysctl", "-n", name)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// parseCPUInfo returns the CPU model and the number of logical CPUs from
// /proc/cpuinfo. The model field is named differently per architecture:
// "model name" (x86), "Model" (Raspberry Pi), "cpu" (POWER), "cpu model"
// (MIPS), "uarch" (RISC-V), "Processor" (32-bit ARM).
func parseCPUInfo(data string) (model string, cores int) {
	fields := map[string]string{}
	for _, line := range strings.Split(data, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k == "processor" {
			cores++
		}
		if _, seen := fields[k]; !seen && v != "" {
			fields[k] = v
		}
	}
	for _, k := range []string{"model name", "Model", "cpu model", "cpu", "uarch", "Processor", "Hardware"} {
		if v := fields[k]; v != "" {
			return strings.Join(strings.Fields(v), " "), cores
		}
	}
	return "", cores
}

// parseMeminfo returns MemTotal and SwapTotal in bytes.
func parseMeminfo(data string) (mem, swap uint64) {
	for _, line := range strings.Split(data, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil || n > math.MaxUint64/1024 {
			continue
		}
		switch f[0] {
		case "MemTotal:":
			mem = n * 1024
		case "SwapTotal:":
			swap = n * 1024
		}
	}
	return mem, swap
}

type mount struct {
	Device, MountPoint, FSType string
}

// parseMountinfo parses /proc/self/mountinfo (proc(5)): fields up to a "-"
// separator, then filesystem type and source. Mount points escape spaces
// and other characters as octal.
func parseMountinfo(data string) []mount {
	var out []mount
	for _, line := range strings.Split(data, "\n") {
		f := strings.Fields(line)
		sep := slices.Index(f, "-")
		if sep < 5 || sep+2 >= len(f) {
			continue
		}
		out = append(out, mount{Device: unescape(f[sep+2]), MountPoint: unescape(f[4]), FSType: f[sep+1]})
	}
	return out
}

func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// diskFS are the storage filesystems reported as disks.
var diskFS = map[string]bool{
	"ext2": true, "ext3": true, "ext4": true, "xfs": true, "btrfs": true, "zfs": true, "f2fs": true,
	"jfs": true, "reiserfs": true, "vfat": true, "exfat": true, "ntfs": true, "ntfs3": true, "bcachefs": true,
	"ufs": true, "hfsplus": true, "nilfs2": true,
}

// skipMountPrefix are trees where the same filesystems reappear as bind or
// container mounts.
var skipMountPrefix = []string{"/proc", "/sys", "/dev", "/run", "/snap", "/var/lib/docker", "/var/lib/containers", "/var/lib/kubelet", "/var/snap"}

func (c *Collector) disks(mounts []mount) []agentproto.DiskDetail {
	var out []agentproto.DiskDetail
	seen := map[string]bool{}
	for _, m := range mounts {
		if !diskFS[m.FSType] || seen[m.Device] {
			continue
		}
		skip := false
		for _, p := range skipMountPrefix {
			if m.MountPoint == p || strings.HasPrefix(m.MountPoint, p+"/") {
				skip = true
			}
		}
		if skip {
			continue
		}
		total, free, err := c.statfs(c.host.Path(m.MountPoint))
		if err != nil || total == 0 {
			continue
		}
		seen[m.Device] = true
		out = append(out, agentproto.DiskDetail{Name: m.Device, MountPoint: m.MountPoint, Size: formatSize(total, free)})
	}
	return out
}

// formatSize renders a filesystem's size the way the stock agent does, which
// dashboards display as is.
func formatSize(total, free uint64) string {
	used := total - min(free, total)
	return fmt.Sprintf("%.2fGB (%.2fGB used, %.2fGB free, %.1f%% used)",
		float64(total)/gib, float64(used)/gib, float64(free)/gib, 100*float64(used)/float64(total))
}

// parseDF parses POSIX `df -kP` output (FreeBSD): device, 1K blocks, used,
// available, capacity, mount point. Memory and pseudo filesystems are left
// out.
func parseDF(data string) []agentproto.DiskDetail {
	var out []agentproto.DiskDetail
	for i, line := range strings.Split(data, "\n") {
		f := strings.Fields(line)
		if i == 0 || len(f) < 6 {
			continue
		}
		dev := f[0]
		if !strings.HasPrefix(dev, "/dev/") && !strings.Contains(dev, "/") {
			continue // devfs, tmpfs, fdescfs, procfs…
		}
		total, err1 := strconv.ParseUint(f[1], 10, 64)
		avail, err2 := strconv.ParseUint(f[3], 10, 64)
		if err1 != nil || err2 != nil || total == 0 || total > math.MaxUint64/1024 || avail > math.MaxUint64/1024 {
			continue
		}
		out = append(out, agentproto.DiskDetail{Name: dev, MountPoint: strings.Join(f[5:], " "), Size: formatSize(total*1024, avail*1024)})
	}
	return out
}
