// Package pgembed runs a PostgreSQL cluster from the system's PostgreSQL binaries as a
// supervised child process, so a program can own its database without an operator
// setting one up. The PatchMon server uses it when no DATABASE_URL is configured, and the
// patchmontest kit uses it to give every test binary a throwaway cluster.
//
// A Cluster keeps everything under Config.DataDir:
//
//	DataDir/pgdata        the PostgreSQL data directory (created by initdb on first start)
//	DataDir/pgrun         the unix socket directory (mode 0700, owned by the run-as user)
//	DataDir/postgres.log  PostgreSQL's own log (rotated to postgres.log.1 past 10 MiB)
//
// Clients connect over the unix socket with ConnString; the database superuser is always
// "postgres" and local socket connections are trusted, which is safe because only the
// run-as user (and root) can enter the socket directory.
//
// Run as root, the cluster runs as the postgres user: pgdata and pgrun belong to it, while
// DataDir keeps its owner (the server keeps its own secrets there) and only gains search
// permission for the postgres user's group. Every directory above DataDir must already be
// searchable by that user; Start reports ErrDataDirUnreachable otherwise.
//
// postgres runs in its own process group, so a terminal's Ctrl-C reaches only the
// supervising program (which should call Stop), and on Linux it is told to shut down if
// that program dies without calling Stop.
//
// Stability: the exported API is small and intended to stay source-compatible; new Config
// fields may be added. Only Linux is supported for running clusters.
package pgembed

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Superuser is the name of the database superuser that initdb creates and ConnString uses.
// It is "postgres" whichever OS user runs the cluster, so connection strings do not depend
// on the account the server happens to run as.
const Superuser = "postgres"

// defaultSocketPort names the socket file (.s.PGSQL.5432) when no TCP port is configured.
const defaultSocketPort = 5432

// ErrBinariesNotFound is returned (wrapped) by New when initdb and postgres cannot be found.
var ErrBinariesNotFound = errors.New("pgembed: PostgreSQL server binaries (initdb, postgres) not found")

// ErrDataDirUnreachable is returned (wrapped) by Start when the run-as user cannot reach
// the data directory because a parent directory denies it search permission.
var ErrDataDirUnreachable = errors.New("pgembed: data directory is not reachable by the PostgreSQL user")

// ErrAlreadyRunning is returned (wrapped) by Start when a live PostgreSQL already serves
// the data directory (another process started it) or when the Cluster is already started.
var ErrAlreadyRunning = errors.New("pgembed: PostgreSQL is already running")

// Config describes an embedded cluster. The zero value of every field except DataDir is
// usable.
type Config struct {
	// DataDir is where the cluster's files live; it is created if missing. Required; no
	// default.
	DataDir string
	// BinDir is the directory holding initdb and postgres. Default: the directory of
	// initdb found on PATH (when postgres sits beside it), else the highest version under
	// /usr/lib/postgresql/*/bin.
	BinDir string
	// RunAsUser is the OS user that owns the cluster files and runs postgres; PostgreSQL
	// refuses to run as root, and switching users is only possible as root. Default:
	// "postgres" when the process runs as root (euid 0), else the current user.
	RunAsUser string
	// Database is created on start when it does not exist. Default: "patchmon".
	Database string
	// Logger receives the cluster's lifecycle events (PostgreSQL's own messages go to
	// DataDir/postgres.log). Default: a logger that discards everything.
	Logger *slog.Logger
	// Settings are extra postgresql.conf parameters passed as "-c name=value" on every
	// start, for example {"fsync": "off"}. port, listen_addresses and
	// unix_socket_directories are managed through Port and Listen and are rejected here.
	// Default: none.
	Settings map[string]string
	// Port is the TCP port PostgreSQL listens on when Listen is set; it also numbers the
	// socket file. Default: 0, meaning unix socket only (the socket, in a directory inside
	// DataDir, is named as for port 5432).
	Port int
	// Listen is PostgreSQL's listen_addresses for TCP connections, for example
	// "127.0.0.1". TCP logins use scram-sha-256, so they need a role with a password
	// (set one over the socket first). Setting Listen requires Port. Default: "" (no TCP).
	Listen string
}

// Cluster is an embedded PostgreSQL cluster. Its methods are safe for concurrent use.
type Cluster struct {
	cfg        Config
	binDir     string
	binDirSet  bool // BinDir came from the caller, so Start must not swap it
	pgData     string
	socketDir  string
	logPath    string
	socketPort int
	log        *slog.Logger

	uid, gid int // RunAsUser's
	// cred switches children to RunAsUser; nil when that is the process's own user.
	cred *syscall.Credential

	mu  sync.Mutex
	run *supervisor // nil when stopped
}

var settingName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_.]*$`)

// New checks cfg and returns a stopped Cluster. It does not touch the file system beyond
// looking up the binaries and the run-as user.
func New(cfg Config) (*Cluster, error) {
	cfg.Settings = maps.Clone(cfg.Settings)
	if cfg.DataDir == "" {
		return nil, errors.New("pgembed: Config.DataDir is required")
	}
	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("pgembed: Config.DataDir: %w", err)
	}
	cfg.DataDir = dataDir
	if cfg.Database == "" {
		cfg.Database = "patchmon"
	}
	if len(cfg.Database) > 63 {
		return nil, fmt.Errorf("pgembed: Config.Database %q is longer than 63 bytes", cfg.Database)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Port < 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("pgembed: Config.Port %d is out of range 0-65535", cfg.Port)
	}
	if cfg.Listen != "" && cfg.Port == 0 {
		return nil, errors.New("pgembed: Config.Port must be set when Config.Listen is set")
	}
	for name := range cfg.Settings {
		switch {
		case !settingName.MatchString(name):
			return nil, fmt.Errorf("pgembed: Config.Settings: invalid parameter name %q", name)
		case name == "port" || name == "listen_addresses" || name == "unix_socket_directories":
			return nil, fmt.Errorf("pgembed: Config.Settings: %q is managed by pgembed; use Config.Port and Config.Listen", name)
		}
	}

	c := &Cluster{
		cfg:        cfg,
		pgData:     filepath.Join(dataDir, "pgdata"),
		socketDir:  filepath.Join(dataDir, "pgrun"),
		logPath:    filepath.Join(dataDir, "postgres.log"),
		socketPort: cfg.Port,
		log:        cfg.Logger,
	}
	if c.socketPort == 0 {
		c.socketPort = defaultSocketPort
	}
	// sun_path holds 108 bytes including the terminating NUL.
	if sock := filepath.Join(c.socketDir, ".s.PGSQL."+strconv.Itoa(c.socketPort)); len(sock) > 107 {
		return nil, fmt.Errorf("pgembed: Config.DataDir %q is too long: the socket path %q exceeds the 107-byte unix socket limit", dataDir, sock)
	}

	if cfg.BinDir != "" {
		c.binDirSet = true
		if !hasBinaries(cfg.BinDir) {
			return nil, binariesError(fmt.Sprintf("Config.BinDir %q does not contain initdb and postgres", cfg.BinDir))
		}
		c.binDir = cfg.BinDir
	} else {
		c.binDir = findBinDir(exec.LookPath, "/usr/lib/postgresql")
		if c.binDir == "" {
			return nil, binariesError("searched PATH and /usr/lib/postgresql/*/bin")
		}
	}
	c.cfg.BinDir = c.binDir

	if err := c.resolveUser(); err != nil {
		return nil, err
	}
	return c, nil
}

func binariesError(where string) error {
	return fmt.Errorf("%w (%s): install the postgresql package (e.g. apt-get install postgresql), "+
		"or set PATCHMON_PG_BIN_DIR (Config.BinDir) to the directory holding them, "+
		"or set DATABASE_URL to use an existing PostgreSQL server", ErrBinariesNotFound, where)
}

// resolveUser fills cfg.RunAsUser and, when it differs from the current user, the
// credentials the children run with.
func (c *Cluster) resolveUser() error {
	euid := os.Geteuid()
	name := c.cfg.RunAsUser
	if name == "" {
		if euid == 0 {
			name = "postgres"
		} else if cur, err := user.Current(); err == nil {
			name = cur.Username
		} else {
			// A uid without a passwd entry (common in containers) can still run postgres.
			name = strconv.Itoa(euid)
		}
		c.cfg.RunAsUser = name
	}

	u, err := user.Lookup(name)
	if err != nil {
		if _, numErr := strconv.Atoi(name); numErr == nil && name == strconv.Itoa(euid) {
			c.uid, c.gid = euid, os.Getegid()
			return nil
		}
		hint := ""
		if name == "postgres" {
			hint = "; install the postgresql package, which creates it, or set Config.RunAsUser"
		}
		return fmt.Errorf("pgembed: Config.RunAsUser: user %q not found%s", name, hint)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	c.uid, c.gid = uid, gid
	if uid == 0 {
		return fmt.Errorf("pgembed: Config.RunAsUser %q is root, and PostgreSQL refuses to run as root; use an unprivileged user such as postgres", name)
	}
	if uid == euid {
		return nil
	}
	if euid != 0 {
		return fmt.Errorf("pgembed: Config.RunAsUser %q differs from the current user, which only works when running as root", name)
	}
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if g, err := strconv.ParseUint(id, 10, 32); err == nil {
				cred.Groups = append(cred.Groups, uint32(g))
			}
		}
	}
	c.cred = cred
	return nil
}

// ConnString returns a pgx/libpq URL that reaches database over the cluster's unix
// socket as the Superuser, with sslmode=disable. An empty database means Config.Database.
func (c *Cluster) ConnString(database string) string {
	if database == "" {
		database = c.cfg.Database
	}
	q := url.Values{}
	q.Set("host", c.socketDir)
	q.Set("port", strconv.Itoa(c.socketPort))
	q.Set("sslmode", "disable")
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(Superuser),
		Path:     "/" + database,
		RawQuery: q.Encode(),
	}
	return u.String()
}

// Config returns the configuration with defaults filled in.
func (c *Cluster) Config() Config {
	cfg := c.cfg
	cfg.Settings = maps.Clone(cfg.Settings)
	return cfg
}

// SocketDir returns the directory holding the cluster's unix socket, for tools such as
// psql (psql -h SOCKETDIR -U postgres).
func (c *Cluster) SocketDir() string { return c.socketDir }

// hasBinaries reports whether dir holds executable initdb and postgres files.
func hasBinaries(dir string) bool {
	for _, name := range []string{"initdb", "postgres"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
			return false
		}
	}
	return true
}

// findBinDir locates the PostgreSQL server binaries: beside initdb on PATH (following a
// symlink to the real installation when needed), else the highest version in
// root/*/bin. It returns "" when nothing is found.
func findBinDir(lookPath func(string) (string, error), root string) string {
	if p, err := lookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil && hasBinaries(filepath.Dir(real)) {
			return filepath.Dir(real)
		}
		if hasBinaries(filepath.Dir(p)) {
			return filepath.Dir(p)
		}
	}
	return newestVersionDir(root)
}

// newestVersionDir returns root/<version>/bin for the highest version (compared
// numerically, so 10 beats 9.6) that holds the binaries, or "".
func newestVersionDir(root string) string {
	entries, err := os.ReadDir(root)
	if err != nil {
		return ""
	}
	type cand struct {
		ver []int
		dir string
	}
	var cands []cand
	for _, e := range entries {
		ver, ok := parseVersion(e.Name())
		dir := filepath.Join(root, e.Name(), "bin")
		if ok && hasBinaries(dir) {
			cands = append(cands, cand{ver, dir})
		}
	}
	if len(cands) == 0 {
		return ""
	}
	best := slices.MaxFunc(cands, func(a, b cand) int { return slices.Compare(a.ver, b.ver) })
	return best.dir
}

func parseVersion(s string) ([]int, bool) {
	var out []int
	for _, part := range strings.Split(s, ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			return nil, false
		}
		out = append(out, n)
	}
	return out, true
}
