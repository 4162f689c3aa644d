//go:build linux || freebsd || darwin

package hardware

import "golang.org/x/sys/unix"

// statfs returns a filesystem's total size and the space available to
// unprivileged users, in bytes.
func statfs(path string) (total, free uint64, err error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0, 0, err
	}
	bs := uint64(st.Bsize)
	return uint64(st.Blocks) * bs, uint64(st.Bavail) * bs, nil
}
