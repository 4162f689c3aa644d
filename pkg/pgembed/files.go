package pgembed

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// maxLogSize is the size past which postgres.log is rotated to postgres.log.1 on start.
const maxLogSize = 10 << 20

// prepareDirs creates DataDir and the socket directory and makes sure the run-as user can
// reach and own what it needs. DataDir itself keeps its owner (the server may keep its
// own secrets there); when running as root it only gains group search permission for the
// run-as user's group.
func (c *Cluster) prepareDirs() error {
	dataDir := c.cfg.DataDir
	if err := os.MkdirAll(filepath.Dir(dataDir), 0o755); err != nil {
		return fmt.Errorf("pgembed: creating parent of Config.DataDir: %w", err)
	}
	if err := os.Mkdir(dataDir, 0o750); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("pgembed: creating Config.DataDir: %w", err)
	}
	if c.cred != nil {
		if err := c.checkReachable(); err != nil {
			return err
		}
		if err := c.grantSearch(dataDir); err != nil {
			return err
		}
	}
	if err := c.ownedDir(c.socketDir); err != nil {
		return err
	}
	if c.cred != nil {
		if err := c.chownTree(c.pgData); err != nil {
			return err
		}
	}
	return nil
}

// checkReachable verifies that the run-as user can search every directory above DataDir,
// both along the path as written and along the path with symlinks resolved.
func (c *Cluster) checkReachable() error {
	paths := []string{c.cfg.DataDir}
	if real, err := filepath.EvalSymlinks(c.cfg.DataDir); err == nil && real != c.cfg.DataDir {
		paths = append(paths, real)
	}
	for _, p := range paths {
		for _, dir := range ancestors(p) {
			fi, err := os.Stat(dir)
			if err != nil {
				return fmt.Errorf("pgembed: checking Config.DataDir: %w", err)
			}
			if !c.canSearch(fi) {
				return fmt.Errorf("%w: user %q cannot enter %s (owner %s, mode %04o), which Config.DataDir %s is under; "+
					"pick a data directory the %s user can reach, e.g. /var/lib/patchmon, "+
					"or give it search permission (chmod o+x %s)",
					ErrDataDirUnreachable, c.cfg.RunAsUser, dir, ownerName(fi), uint32(fi.Mode().Perm()),
					c.cfg.DataDir, c.cfg.RunAsUser, dir)
			}
		}
	}
	return nil
}

// ancestors returns "/", "/a", "/a/b" for "/a/b/c": every directory that must be searched
// to reach p.
func ancestors(p string) []string {
	var out []string
	for dir := filepath.Dir(p); ; dir = filepath.Dir(dir) {
		out = append(out, dir)
		if dir == filepath.Dir(dir) {
			break
		}
	}
	slices.Reverse(out)
	return out
}

// canSearch reports whether the run-as user may search (traverse) the directory fi,
// judged by its mode bits (ACLs are not consulted).
func (c *Cluster) canSearch(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	perm := fi.Mode().Perm()
	switch {
	case int(st.Uid) == c.uid:
		return perm&0o100 != 0
	case c.inGroup(st.Gid):
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}

func (c *Cluster) inGroup(gid uint32) bool {
	if int(gid) == c.gid {
		return true
	}
	return c.cred != nil && slices.Contains(c.cred.Groups, gid)
}

func ownerName(fi fs.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "?"
	}
	id := strconv.FormatUint(uint64(st.Uid), 10)
	if u, err := user.LookupId(id); err == nil {
		return u.Username
	}
	return id
}

// grantSearch lets the run-as user traverse dir by giving it dir's group and g+x, leaving
// the owner and the other bits alone.
func (c *Cluster) grantSearch(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	if c.canSearch(fi) {
		return nil
	}
	if err := os.Chown(dir, -1, c.gid); err != nil {
		return fmt.Errorf("pgembed: letting %s reach Config.DataDir: %w", c.cfg.RunAsUser, err)
	}
	if err := os.Chmod(dir, fi.Mode().Perm()|0o010); err != nil {
		return fmt.Errorf("pgembed: letting %s reach Config.DataDir: %w", c.cfg.RunAsUser, err)
	}
	return nil
}

// ownedDir makes dir exist with mode 0700, owned by the run-as user.
func (c *Cluster) ownedDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("pgembed: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	if c.cred != nil {
		if err := os.Lchown(dir, c.uid, c.gid); err != nil {
			return fmt.Errorf("pgembed: %w", err)
		}
	}
	return nil
}

// chownTree hands an existing data directory to the run-as user when another user owns
// it, for example after the server was first run unprivileged and is now run as root.
func (c *Cluster) chownTree(root string) error {
	fi, err := os.Lstat(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) == c.uid && int(st.Gid) == c.gid {
		return nil
	}
	err = filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, c.uid, c.gid)
	})
	if err != nil {
		return fmt.Errorf("pgembed: handing %s to %s: %w", root, c.cfg.RunAsUser, err)
	}
	return nil
}

// openLog opens DataDir/postgres.log for appending, first rotating it when it has grown
// past maxLogSize.
func (c *Cluster) openLog() (*os.File, error) {
	if fi, err := os.Stat(c.logPath); err == nil && fi.Size() > maxLogSize {
		if err := os.Rename(c.logPath, c.logPath+".1"); err != nil {
			return nil, fmt.Errorf("pgembed: rotating log: %w", err)
		}
	}
	f, err := os.OpenFile(c.logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("pgembed: opening log: %w", err)
	}
	if c.cred != nil {
		_ = f.Chown(c.uid, c.gid)
	}
	return f, nil
}

// logTail returns the last lines of postgres.log, for error messages.
func (c *Cluster) logTail() string {
	f, err := os.Open(c.logPath)
	if err != nil {
		return ""
	}
	defer f.Close()
	const window = 4096
	fi, err := f.Stat()
	if err != nil {
		return ""
	}
	off := max(fi.Size()-window, 0)
	buf, err := io.ReadAll(io.NewSectionReader(f, off, window))
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(buf), "\n"), "\n")
	if off > 0 && len(lines) > 1 {
		lines = lines[1:] // the first line is probably cut
	}
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n")
}

// clearStalePID removes postmaster.pid (and the socket lock files) left behind by a
// postgres that is no longer running. PostgreSQL does this itself when the recorded pid
// is dead, but not when the pid has since been reused by another process, which is
// common in containers after a crash.
func (c *Cluster) clearStalePID() error {
	pidFile := filepath.Join(c.pgData, "postmaster.pid")
	b, err := os.ReadFile(pidFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	if pid, err := strconv.Atoi(strings.TrimSpace(first)); err == nil && pid > 0 && c.servesDataDir(pid) {
		return fmt.Errorf("%w: process %d (from %s) is serving this data directory; stop it first", ErrAlreadyRunning, pid, pidFile)
	}
	if err := os.Remove(pidFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("pgembed: removing stale postmaster.pid: %w", err)
	}
	locks, _ := filepath.Glob(filepath.Join(c.socketDir, ".s.PGSQL.*"))
	for _, l := range locks {
		_ = os.Remove(l)
	}
	c.log.Warn("removed stale postmaster.pid left by a postgres that is no longer running", "file", pidFile)
	return nil
}

// servesDataDir reports whether pid is a live postgres working in this cluster's data
// directory. When it cannot tell (no /proc, or not allowed to look), it answers true so
// that a running server is never disturbed.
func (c *Cluster) servesDataDir(pid int) bool {
	if pid == os.Getpid() {
		return false
	}
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	proc := filepath.Join("/proc", strconv.Itoa(pid))
	stat, err := os.ReadFile(filepath.Join(proc, "stat"))
	if err != nil {
		return !errors.Is(err, fs.ErrNotExist) || procMissing()
	}
	// The state follows the parenthesised command name: "pid (comm) S ...".
	if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
		return false
	}
	comm, err := os.ReadFile(filepath.Join(proc, "comm"))
	if err != nil {
		return true
	}
	if name := strings.TrimSpace(string(comm)); name != "postgres" && name != "postmaster" {
		return false
	}
	cwd, err := os.Readlink(filepath.Join(proc, "cwd"))
	if err != nil {
		return true
	}
	if cwd == c.pgData {
		return true
	}
	real, err := filepath.EvalSymlinks(c.pgData)
	return err == nil && cwd == real
}

func procMissing() bool {
	_, err := os.Stat("/proc/self")
	return err != nil
}
