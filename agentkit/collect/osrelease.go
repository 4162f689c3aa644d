package collect

import (
	"errors"
	"strconv"
	"strings"
)

// ParseOSRelease parses os-release(5) text: KEY=value lines, values
// optionally quoted with shell quoting, comments and blank lines ignored.
func ParseOSRelease(data string) map[string]string {
	out := make(map[string]string)
	for _, line := range strings.Split(data, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			continue
		}
		out[k] = unquote(strings.TrimSpace(v))
	}
	return out
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		if v[0] == '"' {
			if u, err := strconv.Unquote(v); err == nil {
				return u
			}
		}
		return v[1 : len(v)-1]
	}
	return v
}

// OSRelease reads the host's os-release file: /etc/os-release, else
// /usr/lib/os-release (the spec's fallback).
func (h Host) OSRelease() (map[string]string, error) {
	var firstErr error
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release", "/var/run/os-release"} {
		b, err := h.ReadFile(p)
		if err == nil {
			return ParseOSRelease(string(b)), nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, errors.Join(ErrNotFound, firstErr)
}
