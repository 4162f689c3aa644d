package agentkit

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/natefinch/lumberjack.v2"
)

// LogConfig configures NewLogger.
type LogConfig struct {
	// File is the log file, rotated by size (10 MB, 5 compressed backups,
	// 14 days). Default: "" (no file).
	File string
	// Level is debug, info, warn or error. Default: "info".
	Level string
	// Stderr, when set, also receives every record, as under systemd where
	// the journal collects standard error. Default: nil.
	Stderr io.Writer
}

// ParseLevel parses a log level name (debug, info, warn/warning, error).
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "info":
		return slog.LevelInfo, nil
	case "debug", "trace":
		return slog.LevelDebug, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error", "fatal", "panic":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("unknown log level %q (use debug, info, warn or error)", s)
}

// NewLogger builds the agent's logger: structured text records to a
// lumberjack-rotated file and, optionally, to standard error. The returned
// closer closes the file.
func NewLogger(c LogConfig) (*slog.Logger, io.Closer, error) {
	level, err := ParseLevel(c.Level)
	if err != nil {
		return nil, nil, err
	}
	var writers []io.Writer
	var closer io.Closer = io.NopCloser(nil)
	if c.File != "" {
		if err := os.MkdirAll(filepath.Dir(c.File), 0o755); err != nil {
			return nil, nil, fmt.Errorf("log directory: %w", err)
		}
		lj := &lumberjack.Logger{Filename: c.File, MaxSize: 10, MaxBackups: 5, MaxAge: 14, Compress: true}
		writers = append(writers, lj)
		closer = lj
	}
	if c.Stderr != nil {
		writers = append(writers, c.Stderr)
	}
	if len(writers) == 0 {
		return slog.New(slog.DiscardHandler), closer, nil
	}
	h := slog.NewTextHandler(io.MultiWriter(writers...), &slog.HandlerOptions{Level: level})
	return slog.New(h), closer, nil
}
