package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"
)

// SeedPrefix starts the friendly name of every host Seed creates, so that
// Unseed finds them.
const SeedPrefix = "wsload-"

// Seed creates n hosts directly in the database at dbURL and returns their
// credentials. All share one API key, hashed once with bcrypt at the server's
// cost, so seeding 10,000 hosts takes seconds; the server still verifies each
// host's credentials on its first connection, as it would for distinct keys.
func Seed(ctx context.Context, dbURL string, n int) ([]Credential, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	keyBytes := make([]byte, 32)
	_, _ = rand.Read(keyBytes)
	key := hex.EncodeToString(keyBytes)
	hash, err := bcrypt.GenerateFromPassword([]byte(key), 10)
	if err != nil {
		return nil, err
	}
	run := make([]byte, 3)
	_, _ = rand.Read(run)
	creds := make([]Credential, n)
	rows := make([][]any, n)
	for i := range n {
		id := make([]byte, 8)
		_, _ = rand.Read(id)
		creds[i] = Credential{APIID: "patchmon_" + hex.EncodeToString(id), APIKey: key}
		rows[i] = []any{fmt.Sprintf("%s%x-%05d", SeedPrefix, run, i), creds[i].APIID, string(hash)}
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"hosts"}, []string{"friendly_name", "api_id", "api_key_hash"}, pgx.CopyFromRows(rows)); err != nil {
		return nil, fmt.Errorf("loadgen: seed hosts: %w", err)
	}
	return creds, nil
}

// Unseed deletes every host Seed created and returns how many there were.
func Unseed(ctx context.Context, dbURL string) (int64, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	// Hosts are locked in id order first, as every multi-host deletion must be, so
	// that unseeding while agents are still connected cannot deadlock.
	tag, err := conn.Exec(ctx, `
WITH locked AS MATERIALIZED (
    SELECT id FROM hosts WHERE friendly_name LIKE $1 ORDER BY id FOR UPDATE
)
DELETE FROM hosts WHERE id IN (SELECT id FROM locked)`, SeedPrefix+"%")
	return tag.RowsAffected(), err
}

// WriteCredentials writes one "api_id api_key" line per credential.
func WriteCredentials(path string, creds []Credential) error {
	var b bytes.Buffer
	for _, c := range creds {
		fmt.Fprintf(&b, "%s %s\n", c.APIID, c.APIKey)
	}
	return os.WriteFile(path, b.Bytes(), 0o600)
}

// ReadCredentials reads a file written by WriteCredentials.
func ReadCredentials(path string) ([]Credential, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Credential
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		id, key, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		if !ok {
			continue
		}
		out = append(out, Credential{APIID: id, APIKey: key})
	}
	return out, sc.Err()
}

// Sources returns n loopback source addresses from 127.0.0.2 on.
func Sources(n int) ([]netip.Addr, error) {
	if n < 0 || n > 250 {
		return nil, errors.New("loadgen: between 0 and 250 source addresses")
	}
	out := make([]netip.Addr, n)
	for i := range n {
		out[i] = netip.AddrFrom4([4]byte{127, 0, 0, byte(2 + i)})
	}
	return out, nil
}

// Token signs in as user (setting the first administrator up with that name
// and password when the server has none yet) and returns an access token.
func Token(ctx context.Context, serverURL, user, password string) (string, error) {
	base := strings.TrimRight(serverURL, "/")
	var tok struct {
		Token string `json:"token"`
	}
	status, err := postJSON(ctx, base+"/api/v1/auth/setup-admin", "",
		map[string]string{"username": user, "email": user + "@wsload.invalid", "password": password}, &tok)
	if err != nil {
		return "", err
	}
	if status == http.StatusCreated && tok.Token != "" {
		return tok.Token, nil
	}
	status, err = postJSON(ctx, base+"/api/v1/auth/login", "", map[string]string{"username": user, "password": password}, &tok)
	if err != nil {
		return "", err
	}
	if status != http.StatusOK || tok.Token == "" {
		return "", fmt.Errorf("loadgen: sign-in as %s: HTTP %d", user, status)
	}
	return tok.Token, nil
}

// BroadcastResult is the server's answer to a fleet-wide command.
type BroadcastResult struct {
	Delivered, Offline, Failed int
	// Took is the request's round trip.
	Took time.Duration
}

// Broadcast pushes settings_update with interval to the whole fleet through
// POST /api/v1/agents/commands.
func Broadcast(ctx context.Context, serverURL, token string, interval int) (BroadcastResult, error) {
	var res BroadcastResult
	start := time.Now()
	status, err := postJSON(ctx, strings.TrimRight(serverURL, "/")+"/api/v1/agents/commands", token,
		map[string]any{"command": "settings_update", "updateInterval": interval, "target": map[string]any{"all": true}}, &res)
	res.Took = time.Since(start)
	if err != nil {
		return res, err
	}
	if status != http.StatusOK {
		return res, fmt.Errorf("loadgen: broadcast: HTTP %d", status)
	}
	return res, nil
}

func postJSON(ctx context.Context, url, token string, body, out any) (int, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode < 300 && out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, err
		}
	}
	return resp.StatusCode, nil
}

// ProcSample is a process's resident memory and CPU time.
type ProcSample struct {
	RSS     int64         // bytes
	CPU     time.Duration // user + system
	Threads int
	At      time.Time
}

// SampleProcess reads /proc/pid (Linux).
func SampleProcess(pid int) (ProcSample, error) {
	s := ProcSample{At: time.Now()}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		k, v, _ := strings.Cut(line, ":")
		fields := strings.Fields(v)
		if len(fields) == 0 {
			continue
		}
		switch k {
		case "VmRSS":
			kb, _ := strconv.ParseInt(fields[0], 10, 64)
			s.RSS = kb << 10
		case "Threads":
			s.Threads, _ = strconv.Atoi(fields[0])
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	rest := string(stat)
	if i := strings.LastIndexByte(rest, ')'); i >= 0 {
		rest = rest[i+1:]
	}
	f := strings.Fields(rest)
	if len(f) > 12 {
		utime, _ := strconv.ParseInt(f[11], 10, 64)
		stime, _ := strconv.ParseInt(f[12], 10, 64)
		// USER_HZ is 100 on every Linux PatchMon runs on.
		s.CPU = time.Duration(utime+stime) * 10 * time.Millisecond
	}
	return s, nil
}
