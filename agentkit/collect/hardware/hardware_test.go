package hardware

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/agentkit/collect"
	"github.com/patchmon-go/patchmon/agentkit/collect/collecttest"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

func proc(t *testing.T, cpuinfo, meminfo, mountinfo string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "proc/self"), 0o755))
	for name, src := range map[string]string{"proc/cpuinfo": cpuinfo, "proc/meminfo": meminfo, "proc/self/mountinfo": mountinfo} {
		b, err := os.ReadFile(src)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
	return dir
}

// fakeStatfs answers for the mount points of the fixtures: 100 GiB with
// 25 GiB free everywhere.
func fakeStatfs(root string) func(string) (uint64, uint64, error) {
	return func(p string) (uint64, uint64, error) {
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "mnt/nfs" {
			return 0, 0, errors.New("no")
		}
		return 100 << 30, 25 << 30, nil
	}
}

func TestHardwareVM(t *testing.T) {
	t.Parallel()
	dir := proc(t, "testdata/cpuinfo-vm.txt", "testdata/meminfo-vm.txt", "testdata/mountinfo-vm.txt")
	c := New(collect.Host{Root: dir})
	c.statfs = fakeStatfs(dir)
	h, err := c.Hardware(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "Intel(R) Xeon(R) Processor", h.CPUModel)
	assert.Equal(t, 2, h.CPUCores)
	assert.Equal(t, 23.54, h.RAMInstalled)
	assert.Equal(t, 0.0, h.SwapSize)
	assert.Equal(t, []agentproto.DiskDetail{{Name: "/dev/vda", MountPoint: "/", Size: "100.00GB (75.00GB used, 25.00GB free, 75.0% used)"}}, h.Disks)
}

func TestHardwareUbuntuMounts(t *testing.T) {
	t.Parallel()
	dir := proc(t, "testdata/cpuinfo-rpi4.txt", "testdata/meminfo-vm.txt", "testdata/mountinfo-ubuntu.txt")
	c := New(collect.Host{Root: dir})
	c.statfs = fakeStatfs(dir)
	h, err := c.Hardware(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "Raspberry Pi 4 Model B Rev 1.4", h.CPUModel)
	assert.Equal(t, 4, h.CPUCores)
	var names, points []string
	for _, d := range h.Disks {
		names = append(names, d.Name)
		points = append(points, d.MountPoint)
	}
	// Snaps, overlays, NFS, bind mounts and pseudo filesystems are left
	// out; escaped mount points are decoded.
	assert.Equal(t, []string{"/dev/mapper/ubuntu--vg-ubuntu--lv", "/dev/sda2", "/dev/sda1", "/dev/sdb1"}, names)
	assert.Equal(t, []string{"/", "/boot", "/boot/efi", "/srv/data store"}, points)
}

func TestHardwareFreeBSD(t *testing.T) {
	t.Parallel()
	df, err := os.ReadFile("testdata/df-freebsd.txt")
	require.NoError(t, err)
	r := collecttest.NewRunner().
		SetOutput("sysctl -n hw.model", "Intel(R) Core(TM) i5-8500T CPU @ 2.10GHz\n").
		SetOutput("sysctl -n hw.ncpu", "6\n").
		SetOutput("sysctl -n hw.physmem", "17045651456\n").
		SetOutput("sysctl -n vm.swap_total", "2147483648\n").
		SetOutput("df -kP", string(df))
	h, err := New(collect.Host{Root: t.TempDir(), Runner: r}).Hardware(context.Background())
	require.NoError(t, err)
	assert.Equal(t, collect.Hardware{
		CPUModel: "Intel(R) Core(TM) i5-8500T CPU @ 2.10GHz", CPUCores: 6, RAMInstalled: 15.88, SwapSize: 2,
		Disks: []agentproto.DiskDetail{
			{Name: "zroot/ROOT/default", MountPoint: "/", Size: "93.00GB (2.96GB used, 90.04GB free, 3.2% used)"},
			{Name: "/dev/gpt/efiboot0", MountPoint: "/boot/efi", Size: "0.25GB (0.00GB used, 0.25GB free, 0.7% used)"},
			{Name: "zroot/usr/home", MountPoint: "/usr/home", Size: "90.04GB (0.00GB used, 90.04GB free, 0.0% used)"},
		},
	}, h)
}

func TestHardwareNothingReadable(t *testing.T) {
	t.Parallel()
	_, err := New(collect.Host{Root: t.TempDir(), Runner: collecttest.NewRunner()}).Hardware(context.Background())
	assert.Error(t, err)
}

func FuzzParseHardware(f *testing.F) {
	for _, p := range []string{"testdata/cpuinfo-rpi4.txt", "testdata/meminfo-vm.txt", "testdata/mountinfo-ubuntu.txt", "testdata/df-freebsd.txt"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, in string) {
		if _, cores := parseCPUInfo(in); cores < 0 {
			t.Fatal("negative core count")
		}
		parseMeminfo(in)
		for _, m := range parseMountinfo(in) {
			if m.FSType == "" {
				t.Fatal("mount without type")
			}
		}
		for _, d := range parseDF(in) {
			if d.Name == "" || d.Size == "" {
				t.Fatal("incomplete disk")
			}
		}
	})
}
