package agentkit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// spool keeps reports that could not be delivered, oldest first, within a
// count and size bound. With a directory each report is one file written
// atomically, so the spool survives restarts; without one it lives in
// memory. Delivering a report twice is harmless (the protocol's POSTs are
// idempotent), so a crash between delivery and removal at worst repeats it.
type spool struct {
	dir      string
	maxItems int
	maxBytes int64

	mu  sync.Mutex
	mem []spooled // when dir == ""
	seq int
}

type spooled struct {
	name string
	data json.RawMessage
}

// add stores a report and drops the oldest ones beyond the bounds; it
// returns how many were dropped.
func (s *spool) add(data []byte) (dropped int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	name := fmt.Sprintf("%020d-%06d.json", time.Now().UnixNano(), s.seq%1000000)
	if s.dir == "" {
		s.mem = append(s.mem, spooled{name: name, data: slices.Clone(data)})
	} else {
		// Created on first use: New has no side effects.
		if err := os.MkdirAll(s.dir, 0o700); err != nil {
			return 0, fmt.Errorf("spool: %w", err)
		}
		if err := writeFileAtomic(filepath.Join(s.dir, name), data, 0o600); err != nil {
			return 0, fmt.Errorf("spool: %w", err)
		}
	}
	return s.trimLocked(), nil
}

// list returns the spooled reports, oldest first.
func (s *spool) list() ([]spooled, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listLocked()
}

func (s *spool) listLocked() ([]spooled, error) {
	if s.dir == "" {
		return slices.Clone(s.mem), nil
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("spool: %w", err)
	}
	var out []spooled
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		out = append(out, spooled{name: e.Name()})
	}
	slices.SortFunc(out, func(a, b spooled) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

// load returns a spooled report's content.
func (s *spool) load(it spooled) ([]byte, error) {
	if s.dir == "" {
		return it.data, nil
	}
	return os.ReadFile(filepath.Join(s.dir, it.name))
}

func (s *spool) remove(it spooled) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir == "" {
		s.mem = slices.DeleteFunc(s.mem, func(m spooled) bool { return m.name == it.name })
		return
	}
	_ = os.Remove(filepath.Join(s.dir, it.name))
}

func (s *spool) len() int {
	items, _ := s.list()
	return len(items)
}

// trimLocked drops the oldest reports until both bounds hold.
func (s *spool) trimLocked() int {
	items, err := s.listLocked()
	if err != nil {
		return 0
	}
	sizes := make([]int64, len(items))
	var total int64
	for i, it := range items {
		if s.dir == "" {
			sizes[i] = int64(len(it.data))
		} else if fi, err := os.Stat(filepath.Join(s.dir, it.name)); err == nil {
			sizes[i] = fi.Size()
		}
		total += sizes[i]
	}
	dropped := 0
	// Always keep the newest report, even when it alone exceeds the size.
	for i := 0; i < len(items)-1 && (len(items)-i > s.maxItems || total > s.maxBytes); i++ {
		if s.dir == "" {
			s.mem = slices.DeleteFunc(s.mem, func(m spooled) bool { return m.name == items[i].name })
		} else {
			_ = os.Remove(filepath.Join(s.dir, items[i].name))
		}
		total -= sizes[i]
		dropped++
	}
	return dropped
}

// flush delivers the spooled reports oldest first through send. It stops at
// the first error that retrying may fix (the server is still away) and drops
// reports the server rejects for good, so one bad report cannot block the
// spool forever. It returns how many were delivered.
func (s *spool) flush(ctx context.Context, send func(context.Context, json.RawMessage) error, onDrop func(error)) (int, error) {
	items, err := s.list()
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, it := range items {
		if err := ctx.Err(); err != nil {
			return sent, err
		}
		data, err := s.load(it)
		if err != nil {
			s.remove(it)
			continue
		}
		if err := send(ctx, data); err != nil {
			if retryable(err) {
				return sent, err
			}
			if onDrop != nil {
				onDrop(err)
			}
			s.remove(it)
			continue
		}
		s.remove(it)
		sent++
	}
	return sent, nil
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory, fsynced and renamed over path, so readers see the old or the
// new content, never a partial one.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
