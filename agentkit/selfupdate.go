package agentkit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Self-update errors. Each refuses the update and leaves the installed
// binary untouched.
var (
	// ErrSelfUpdateDisabled: Config.BinaryPath is empty.
	ErrSelfUpdateDisabled = errors.New("self-update is disabled: no agent binary path configured")
	// ErrUpdateTooSoon: an update happened within UpdateLoopGuard; a broken
	// release must not make the agent update in a loop.
	ErrUpdateTooSoon = errors.New("an agent update was performed recently")
	// ErrNoHash: the server did not provide the binary's SHA-256.
	ErrNoHash = errors.New("the server provided no SHA-256 hash for the agent binary")
	// ErrHashMismatch: the download does not match the server's SHA-256
	// (corruption or tampering).
	ErrHashMismatch = errors.New("the downloaded agent binary does not match the server's SHA-256 hash")
	// ErrVerifyFailed: the downloaded binary does not run, or reports
	// another version than announced.
	ErrVerifyFailed = errors.New("the downloaded agent binary failed verification")
	// ErrInsecureUpdate: the server's certificate is not verified
	// (SkipTLSVerify), so the hash proves nothing about the binary.
	ErrInsecureUpdate = errors.New("refusing to self-update over a connection whose certificate is not verified (skip_ssl_verify)")
)

// UpdateLoopGuard is the minimum time between two self-updates.
const UpdateLoopGuard = 5 * time.Minute

// maxBackups is how many previous binaries self-update keeps.
const maxBackups = 3

// maxBinarySize bounds a downloaded agent binary.
const maxBinarySize = 256 << 20

// UpdateResult describes a self-update attempt.
type UpdateResult struct {
	// Updated is true when a new binary was installed.
	Updated bool
	// CurrentVersion and LatestVersion are the versions before and after.
	CurrentVersion string
	LatestVersion  string
	// Backup is the path of the previous binary's backup.
	Backup string
	// Message explains why nothing was done, when Updated is false.
	Message string
}

// UpdateAgent replaces the agent binary with the latest version the server
// offers. Without force it updates only when the server says so (hasUpdate:
// auto-update enabled for the server and the host); with force — the
// update-agent command and the server's update_agent request — whenever the
// server has a newer version. The download must match the SHA-256 the server
// announces; the current binary is backed up (the last three backups are
// kept), the new one must run and report the announced version, and it is
// renamed over the old one atomically. Updates closer than UpdateLoopGuard
// to the previous one are refused. UpdateAgent does not restart the agent.
func (a *Agent) UpdateAgent(ctx context.Context, force bool) (UpdateResult, error) {
	res := UpdateResult{CurrentVersion: a.cfg.AgentVersion}
	if a.cfg.BinaryPath == "" {
		return res, ErrSelfUpdateDisabled
	}
	if !a.cfg.configured() {
		return res, ErrNotConfigured
	}
	if a.cfg.SkipTLSVerify && strings.HasPrefix(a.cfg.ServerURL, "https://") {
		return res, ErrInsecureUpdate
	}
	if last, ok := a.lastUpdate(); ok {
		if ago := time.Since(last); ago >= 0 && ago < UpdateLoopGuard {
			return res, fmt.Errorf("%w: update was performed %s ago; wait %s", ErrUpdateTooSoon,
				ago.Round(time.Second), (UpdateLoopGuard - ago).Round(time.Second))
		}
	}
	v, err := a.CheckVersion(ctx)
	if err != nil {
		return res, fmt.Errorf("check version: %w", err)
	}
	res.LatestVersion = v.LatestVersion
	switch {
	case v.LatestVersion == "" || compareVersions(v.LatestVersion, a.cfg.AgentVersion) <= 0:
		res.Message = "agent is up to date (version " + a.cfg.AgentVersion + ")"
		return res, nil
	case !force && !v.HasUpdate:
		res.Message = "update available but not enabled for this host"
		if v.AutoUpdateDisabledReason != "" {
			res.Message += ": " + v.AutoUpdateDisabledReason
		}
		return res, nil
	}
	want := strings.ToLower(strings.TrimSpace(v.Hash))
	if len(want) != sha256.Size*2 || !isHex(want) {
		return res, ErrNoHash
	}
	target, err := filepath.EvalSymlinks(a.cfg.BinaryPath)
	if err != nil {
		return res, fmt.Errorf("agent binary: %w", err)
	}
	tmp, err := a.download(ctx, v.DownloadURL, filepath.Dir(target), want)
	if err != nil {
		return res, err
	}
	defer os.Remove(tmp) // no-op after the rename
	if err := verifyBinary(ctx, tmp, v.LatestVersion); err != nil {
		return res, err
	}
	backup, err := backupBinary(target, time.Now())
	if err != nil {
		return res, fmt.Errorf("back up the current binary: %w", err)
	}
	res.Backup = backup
	if err := os.Rename(tmp, target); err != nil {
		return res, fmt.Errorf("install the new binary: %w", err)
	}
	a.setLastUpdate(time.Now())
	res.Updated = true
	return res, nil
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// download fetches the binary into a temporary file next to the target (so
// the final rename stays on one filesystem) and checks its hash.
func (a *Agent) download(ctx context.Context, downloadURL, dir, wantHash string) (string, error) {
	if downloadURL == "" {
		downloadURL = "hosts/agent/download?arch=" + goarch() + "&os=" + goos()
	}
	f, err := os.CreateTemp(dir, ".patchmon-agent.new-*")
	if err != nil {
		return "", fmt.Errorf("download: %w", err)
	}
	name := f.Name()
	h := sha256.New()
	err = a.client.download(ctx, downloadURL, io.MultiWriter(f, h), maxBinarySize)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(name)
		return "", err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != wantHash {
		_ = os.Remove(name)
		return "", fmt.Errorf("%w: expected %s, got %s", ErrHashMismatch, wantHash, got)
	}
	if err := os.Chmod(name, 0o755); err != nil {
		_ = os.Remove(name)
		return "", fmt.Errorf("download: %w", err)
	}
	return name, nil
}

// verifyBinary runs `binary --version` and expects it to name version.
func verifyBinary(ctx context.Context, path, version string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--version").CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s --version: %v: %s", ErrVerifyFailed, filepath.Base(path), err, strings.TrimSpace(string(out)))
	}
	if v := strings.TrimPrefix(version, "v"); v != "" && !strings.Contains(string(out), v) {
		return fmt.Errorf("%w: it reports %q, expected version %s", ErrVerifyFailed, strings.TrimSpace(string(out)), v)
	}
	return nil
}

// backupBinary copies the current binary to path.backup.YYYYMMDD_HHMMSS
// (owner-only permissions) and deletes all but the newest maxBackups.
func backupBinary(path string, now time.Time) (string, error) {
	src, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer src.Close()
	backup := path + ".backup." + now.Format("20060102_150405")
	dst, err := os.OpenFile(backup, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o700)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(dst, src); err != nil {
		_ = dst.Close()
		return "", err
	}
	if err := dst.Close(); err != nil {
		return "", err
	}
	matches, _ := filepath.Glob(path + ".backup.*")
	slices.Sort(matches) // the timestamp format sorts chronologically
	for len(matches) > maxBackups {
		_ = os.Remove(matches[0])
		matches = matches[1:]
	}
	return backup, nil
}

func (a *Agent) stampFile() string {
	if a.cfg.StateDir == "" {
		return ""
	}
	return filepath.Join(a.cfg.StateDir, ".last_update_timestamp")
}

func (a *Agent) lastUpdate() (time.Time, bool) {
	if p := a.stampFile(); p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			return time.Time{}, false
		}
		sec, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		return time.Unix(sec, 0), true
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.updatedAt, !a.updatedAt.IsZero()
}

func (a *Agent) setLastUpdate(t time.Time) {
	a.mu.Lock()
	a.updatedAt = t
	a.mu.Unlock()
	if p := a.stampFile(); p != "" {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err == nil {
			if err := writeFileAtomic(p, []byte(strconv.FormatInt(t.Unix(), 10)+"\n"), 0o600); err != nil {
				a.log.Warn("could not record the update time", "error", err)
			}
		}
	}
}

// compareVersions orders dotted versions numerically ("1.10.0" > "1.9.2"); a
// pre-release ("1.4.0-rc1") sorts before its release.
func compareVersions(x, y string) int {
	x, y = strings.TrimPrefix(strings.TrimSpace(x), "v"), strings.TrimPrefix(strings.TrimSpace(y), "v")
	xc, xp, _ := strings.Cut(x, "-")
	yc, yp, _ := strings.Cut(y, "-")
	xs, ys := strings.Split(xc, "."), strings.Split(yc, ".")
	for i := 0; i < max(len(xs), len(ys)); i++ {
		var xn, yn int
		if i < len(xs) {
			xn, _ = strconv.Atoi(xs[i])
		}
		if i < len(ys) {
			yn, _ = strconv.Atoi(ys[i])
		}
		if xn != yn {
			if xn < yn {
				return -1
			}
			return 1
		}
	}
	switch {
	case xp == yp:
		return 0
	case xp == "":
		return 1
	case yp == "":
		return -1
	}
	return strings.Compare(xp, yp)
}
