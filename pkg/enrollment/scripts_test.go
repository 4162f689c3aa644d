package enrollment_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/pkg/enrollment"
)

// needTools fails (never skips) when a tool the script tests need is missing: `make
// deps-test` installs them.
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is required by this test (make deps-test installs it): %v", tool, err)
		}
	}
}

func TestScriptsAreShellcheckClean(t *testing.T) {
	t.Parallel()
	needTools(t, "shellcheck")
	for typ, shell := range map[string]string{enrollment.TypeProxmoxLXC: "bash", enrollment.TypeDirectHost: "sh"} {
		raw, err := enrollment.RawScript(typ)
		require.NoError(t, err)
		f := filepath.Join(t.TempDir(), enrollment.ScriptName(typ))
		require.NoError(t, os.WriteFile(f, raw, 0o600))
		out, err := exec.Command("shellcheck", "-s", shell, f).CombinedOutput()
		assert.NoError(t, err, "shellcheck %s:\n%s", typ, out)
	}
	// The direct-host script is POSIX sh: it must at least parse in dash.
	if _, err := exec.LookPath("dash"); err == nil {
		raw, _ := enrollment.RawScript(enrollment.TypeDirectHost)
		f := filepath.Join(t.TempDir(), "d.sh")
		require.NoError(t, os.WriteFile(f, raw, 0o600))
		out, err := exec.Command("dash", "-n", f).CombinedOutput()
		assert.NoError(t, err, "%s", out)
	}
}

// getScript downloads a script and returns status and body.
func getScript(t *testing.T, base string, q url.Values) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/api/v1/auto-enrollment/script?"+q.Encode(), nil)
	require.NoError(t, err)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	if res.StatusCode == http.StatusOK {
		assert.Equal(t, "no-store", res.Header.Get("Cache-Control"), "scripts carry credentials")
	}
	return res.StatusCode, string(b)
}

func TestScriptDownload(t *testing.T) {
	t.Parallel()
	e := setupHTTP(t)
	tok := e.newToken(t, obj{"token_name": "Scripts"})
	key, secret := tok["token_key"].(string), tok["token_secret"].(string)
	q := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	for _, c := range []struct {
		q      url.Values
		status int
		msg    string
	}{
		{q("token_key", key, "token_secret", secret), 400, "Invalid or missing script type. Use type=proxmox-lxc or type=direct-host"},
		{q("type", "windows", "token_key", key, "token_secret", secret), 400, "Invalid or missing script type. Use type=proxmox-lxc or type=direct-host"},
		{q("type", "proxmox-lxc"), 401, "Auto-enrollment credentials required"},
		{q("type", "proxmox-lxc", "token_key", key), 401, "Auto-enrollment credentials required"},
		{q("type", "proxmox-lxc", "token_key", "patchmon_ae_nope", "token_secret", secret), 401, "Invalid or inactive token"},
		{q("type", "proxmox-lxc", "token_key", key, "token_secret", "bad"), 401, "Invalid token secret"},
	} {
		status, body := getScript(t, e.url, c.q)
		assert.Equal(t, c.status, status, "%v", c.q)
		assert.Contains(t, body, `"error":"`+c.msg+`"`, "%v", c.q)
	}

	status, body := getScript(t, e.url, q("type", "proxmox-lxc", "token_key", key, "token_secret", secret))
	require.Equal(t, http.StatusOK, status, body)
	assert.True(t, strings.HasPrefix(body, "#!/bin/bash\n"))
	assert.Contains(t, body, `PATCHMON_URL="${PATCHMON_URL:-http://localhost:3000}"`)
	assert.Contains(t, body, `AUTO_ENROLLMENT_KEY="${AUTO_ENROLLMENT_KEY:-`+key+`}"`)
	assert.Contains(t, body, `AUTO_ENROLLMENT_SECRET="${AUTO_ENROLLMENT_SECRET:-`+secret+`}"`)
	assert.Contains(t, body, `CURL_FLAGS="${CURL_FLAGS:--s}"`)
	assert.Contains(t, body, `FORCE_INSTALL="${FORCE_INSTALL:-false}"`)

	// The ignore-self-signed setting and force mode change the served defaults.
	_, err := e.pool.Exec(context.Background(), `UPDATE settings SET ignore_ssl_self_signed = true`)
	require.NoError(t, err)
	status, body = getScript(t, e.url, q("type", "direct-host", "token_key", key, "token_secret", secret, "force", "true"))
	require.Equal(t, http.StatusOK, status, body)
	assert.True(t, strings.HasPrefix(body, "#!/bin/sh\n"))
	assert.Contains(t, body, `CURL_FLAGS="${CURL_FLAGS:--sk}"`)
	assert.Contains(t, body, `FORCE_INSTALL="${FORCE_INSTALL:-true}"`)

	// Disabled tokens get no script.
	status, _ = e.adminCall(t, http.MethodPatch, "/api/v1/auto-enrollment/tokens/"+tok["id"].(string), obj{"is_active": false})
	require.Equal(t, http.StatusOK, status)
	status, body = getScript(t, e.url, q("type", "proxmox-lxc", "token_key", key, "token_secret", secret))
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Contains(t, body, "Invalid or inactive token")
}

// fakePct is a stand-in for Proxmox's pct: `pct list` prints $FAKE_PCT_DIR/list and
// `pct exec VMID -- …` answers from $FAKE_PCT_DIR/ct/VMID (hostname, files under root/,
// agent_ok for a working agent) and runs `sh -c` commands on this machine with a fake
// `sh` first in PATH that captures the agent installer instead of running it.
const fakePct = `#!/bin/sh
d="$FAKE_PCT_DIR"
echo "$*" >> "$d/calls.log"
case "$1" in
list)
    printf 'VMID       Status     Lock         Name\n'
    cat "$d/list"
    exit 0 ;;
exec)
    vmid="$2"; shift 2
    [ "$1" = "--" ] && shift
    ct="$d/ct/$vmid"
    case "$1" in
    test) [ -e "$ct/root$3" ]; exit $? ;;
    hostname) cat "$ct/hostname"; exit 0 ;;
    /usr/local/bin/patchmon-agent) [ -e "$ct/agent_ok" ]; exit $? ;;
    sh) shift; [ "$1" = "-c" ] && shift
        # Package installs never touch this machine: they are logged, and succeed unless
        # curl_install_fails exists (a success makes curl "appear" in the container).
        case "$1" in
        *apt-get*)
            echo "$1" >> "$ct/pkg.log"
            [ -e "$ct/curl_install_fails" ] && { echo "E: dpkg was interrupted"; exit 100; }
            rm -f "$ct/no_curl"; exit 0 ;;
        "command -v curl")
            [ -e "$ct/no_curl" ] && exit 1 ;;
        esac
        FAKE_VMID="$vmid" PATH="$d/ctbin:$PATH" exec /bin/sh -c "$1" ;;
    esac
    echo "fake pct: unsupported exec $*" >&2
    exit 127 ;;
esac
echo "fake pct: unsupported $*" >&2
exit 2
`

// fakeSh captures the downloaded installer (the scripts run it as sh /tmp/patchmon-install.*).
const fakeSh = `#!/bin/sh
case "${1:-}" in
/tmp/patchmon-install.*)
    cp "$1" "$FAKE_PCT_DIR/installer-$FAKE_VMID.sh"
    if [ -e "$FAKE_PCT_DIR/ct/$FAKE_VMID/install_fails" ]; then echo "E: Unable to locate package curl"; exit 3; fi
    exit 0 ;;
esac
exec /bin/sh "$@"
`

type fakeProxmox struct {
	dir string
}

func newFakeProxmox(t *testing.T) fakeProxmox {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"bin", "ctbin", "ct"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, d), 0o755))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bin", "pct"), []byte(fakePct), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ctbin", "sh"), []byte(fakeSh), 0o755))
	return fakeProxmox{dir: dir}
}

// container adds a container; enrolled gives it an agent configuration that answers ping.
func (f fakeProxmox) container(t *testing.T, vmid, status, name, hostname string, enrolled bool) {
	t.Helper()
	ct := filepath.Join(f.dir, "ct", vmid)
	require.NoError(t, os.MkdirAll(filepath.Join(ct, "root", "etc", "patchmon"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(ct, "hostname"), []byte(hostname+"\n"), 0o644))
	if enrolled {
		f.markEnrolled(t, vmid)
	}
	lf, err := os.OpenFile(filepath.Join(f.dir, "list"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	require.NoError(t, err)
	_, err = lf.WriteString(vmid + "        " + status + "                 " + name + "\n")
	require.NoError(t, err)
	require.NoError(t, lf.Close())
}

func (f fakeProxmox) markEnrolled(t *testing.T, vmid string) {
	ct := filepath.Join(f.dir, "ct", vmid)
	for _, n := range []string{"config.yml", "credentials.yml"} {
		require.NoError(t, os.WriteFile(filepath.Join(ct, "root", "etc", "patchmon", n), []byte("x: y\n"), 0o600))
	}
	require.NoError(t, os.WriteFile(filepath.Join(ct, "agent_ok"), nil, 0o644))
}

// run executes script with the fake pct first in PATH and env added to a clean
// environment (the credentials come from the served script).
func (f fakeProxmox) run(t *testing.T, shell, script string, env ...string) (string, int) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "enroll.sh")
	require.NoError(t, os.WriteFile(path, []byte(script), 0o700))
	cmd := exec.Command(shell, path)
	cmd.Env = append([]string{
		"PATH=" + filepath.Join(f.dir, "bin") + ":" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"FAKE_PCT_DIR=" + f.dir,
	}, env...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return string(out), code
}

func (f fakeProxmox) installer(vmid string) (string, bool) {
	b, err := os.ReadFile(filepath.Join(f.dir, "installer-"+vmid+".sh"))
	return string(b), err == nil
}

var bootstrapRE = regexp.MustCompile(`(?m)^BOOTSTRAP_TOKEN=([0-9a-f]+)$`)

func TestProxmoxScriptEndToEnd(t *testing.T) {
	t.Parallel()
	needTools(t, "bash", "curl", "jq")
	e := setupHTTP(t)
	group := e.hostGroup(t, "Proxmox LXC")
	tok := e.newToken(t, obj{"token_name": "Proxmox Production", "default_host_group_id": group, "max_hosts_per_day": 10})
	status, script := getScript(t, e.url, url.Values{"type": {"proxmox-lxc"}, "token_key": {tok["token_key"].(string)}, "token_secret": {tok["token_secret"].(string)}})
	require.Equal(t, http.StatusOK, status, script)

	f := newFakeProxmox(t)
	f.container(t, "100", "running", "webserver", "web01", false)
	f.container(t, "101", "running", "database", "db01", true)
	f.container(t, "102", "stopped", "old", "old", false)
	env := []string{"PATCHMON_URL=" + e.url, "HOST_PREFIX=prod-", "COLOR=always"}

	// Dry run: nothing is created.
	out, code := f.run(t, "bash", script, append(env, "DRY_RUN=true")...)
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "[INFO]\x1b[0m Found 3 LXC container(s)")
	assert.Contains(t, out, "[DRY RUN] Would enroll: prod-web01")
	assert.Contains(t, out, "Successfully Enrolled: 1 (dry run)")
	assert.Equal(t, 0, hostCount(t, e.pool))

	out, code = f.run(t, "bash", script, env...)
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "Processing LXC 100: webserver (status: running)")
	assert.Contains(t, out, "Processing LXC 101: database (status: running)")
	assert.Contains(t, out, "✓ Host already enrolled and agent ping successful - skipping enrollment")
	assert.Contains(t, out, "Skipping old: container is stopped")
	assert.Contains(t, out, "\x1b[0;32m[SUCCESS]\x1b[0m prod-web01 enrolled and agent installed", "green success")
	assert.Contains(t, out, "\x1b[0;32mSuccessfully Enrolled: 1\x1b[0m")
	assert.Contains(t, out, "Skipped: 2")
	assert.Contains(t, out, "Failed: 0")
	assert.NotContains(t, out, "[DEBUG]")

	// The real installer was fetched with the new host's credentials and its bootstrap
	// token hands out credentials for exactly that host.
	inst, ok := f.installer("100")
	require.True(t, ok, out)
	assert.True(t, strings.HasPrefix(inst, "#!/bin/sh\n"), inst)
	m := bootstrapRE.FindStringSubmatch(inst)
	require.NotNil(t, m, inst)
	status, creds := do(t, http.MethodPost, e.url+"/api/v1/hosts/bootstrap/exchange", nil, obj{"token": m[1]})
	require.Equal(t, http.StatusOK, status, "%v", creds)
	var hostID, apiID, notes, name string
	require.NoError(t, e.pool.QueryRow(context.Background(),
		`SELECT h.id, h.api_id, h.notes, h.friendly_name FROM hosts h`).Scan(&hostID, &apiID, &notes, &name))
	assert.Equal(t, apiID, creds["apiId"])
	assert.Equal(t, "prod-web01", name)
	assert.Regexp(t, notesRE, notes)
	var vmid, node string
	require.NoError(t, e.pool.QueryRow(context.Background(),
		`SELECT metadata->>'vmid', metadata->>'proxmox_node' FROM auto_enrollment_hosts WHERE host_id = $1`, hostID).Scan(&vmid, &node))
	assert.Equal(t, "100", vmid)
	assert.NotEmpty(t, node)
	_, ok = f.installer("101")
	assert.False(t, ok, "the enrolled container is left alone")

	// Running again is safe: with its agent answering, 100 is skipped too.
	f.markEnrolled(t, "100")
	out, code = f.run(t, "bash", script, append(env, "DEBUG=true")...)
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "Successfully Enrolled: 0")
	assert.Contains(t, out, "Skipped: 3")
	assert.Contains(t, out, "[DEBUG] pct exec 100 -- /usr/local/bin/patchmon-agent ping")
	assert.Equal(t, 1, hostCount(t, e.pool))

	// SKIP_STOPPED=false enrolls the stopped container but cannot install its agent.
	out, code = f.run(t, "bash", script, append(env, "SKIP_STOPPED=false", "COLOR=never", "DEBUG=true")...)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "> POST /api/v1/auto-enrollment/enroll", "DEBUG makes curl verbose")
	assert.Contains(t, out, `"api_key":"***"`, "DEBUG logs the response without the API key")
	assert.Contains(t, out, "prod-old is stopped: the agent was not installed")
	assert.Contains(t, out, "[INFO] Successfully Enrolled: 0\n")
	assert.Contains(t, out, "Failed: 1\n")
	assert.NotContains(t, out, "\x1b[")
	assert.Equal(t, 2, hostCount(t, e.pool))
}

func TestProxmoxScriptFailures(t *testing.T) {
	t.Parallel()
	needTools(t, "bash", "curl", "jq")
	e := setupHTTP(t)
	tok := e.newToken(t, obj{"token_name": "Tiny", "max_hosts_per_day": 2})
	status, script := getScript(t, e.url, url.Values{"type": {"proxmox-lxc"}, "token_key": {tok["token_key"].(string)}, "token_secret": {tok["token_secret"].(string)}})
	require.Equal(t, http.StatusOK, status, script)
	env := []string{"PATCHMON_URL=" + e.url, "COLOR=never"}

	f := newFakeProxmox(t)
	f.container(t, "199", "running", "nocurl", "nocurl", false)
	for _, flag := range []string{"no_curl", "curl_install_fails"} {
		require.NoError(t, os.WriteFile(filepath.Join(f.dir, "ct", "199", flag), nil, 0o644))
	}
	f.container(t, "200", "running", "broken", "broken", false)
	f.container(t, "201", "running", "second", "second", false)
	f.container(t, "202", "running", "third", "third", false)
	require.NoError(t, os.WriteFile(filepath.Join(f.dir, "ct", "200", "install_fails"), nil, 0o644))

	out, code := f.run(t, "bash", script, append(env, "FORCE_INSTALL=true", "DEBUG=true")...)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "X-API-KEY: ***", "DEBUG shows the install command")
	assert.NotRegexp(t, `X-API-KEY: [0-9a-f]{64}`, out, "but never a host's API key")
	assert.NotRegexp(t, `"api_key":"[0-9a-f]{64}"`, out)
	assert.Contains(t, out, "[WARN] Failed to install agent in broken (exit: 3)")
	assert.Contains(t, out, "Install output: E: Unable to locate package curl")
	assert.Contains(t, out, "[ERROR] Rate limit exceeded - maximum hosts per day reached")
	assert.Contains(t, out, `Maximum 2 hosts per day allowed for this token`)
	assert.Contains(t, out, "[WARN] Failed to install agent in nocurl: curl is missing and could not be installed")
	assert.Contains(t, out, "Install output: E: dpkg was interrupted")
	pkgLog, err := os.ReadFile(filepath.Join(f.dir, "ct", "199", "pkg.log"))
	require.NoError(t, err)
	assert.Contains(t, string(pkgLog), "apt-get install -y --fix-broken curl", "force mode installs without apt-get update first")
	_, ok := f.installer("199")
	assert.False(t, ok, "no installer run without curl")
	assert.Contains(t, out, "Stopped early")
	assert.NotContains(t, out, "Processing LXC 202", "nothing more is tried after the quota is used up")
	calls, err := os.ReadFile(filepath.Join(f.dir, "calls.log"))
	require.NoError(t, err)
	assert.Contains(t, string(calls), "force=true", "FORCE_INSTALL reaches the agent installer")

	// A bad secret stops at the first container with the server's message.
	out, code = f.run(t, "bash", script, append(env, "AUTO_ENROLLMENT_SECRET=wrong")...)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, `[ERROR] Failed to enroll nocurl - HTTP 401`)
	assert.Contains(t, out, `{"error":"Invalid token secret"`)

	// Not a Proxmox host, missing tools, unset credentials.
	raw, err := enrollment.RawScript(enrollment.TypeProxmoxLXC)
	require.NoError(t, err)
	cmd := exec.Command("bash", "-c", string(raw))
	cmd.Env = []string{"PATH=/nonexistent", "AUTO_ENROLLMENT_KEY=k", "AUTO_ENROLLMENT_SECRET=s"}
	b, _ := cmd.CombinedOutput()
	assert.Contains(t, string(b), "[ERROR] This script must run on a Proxmox host (pct command not found)")
	out, code = f.run(t, "bash", string(raw), env...)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "AUTO_ENROLLMENT_KEY and AUTO_ENROLLMENT_SECRET must be set")
}

func TestDirectHostScriptEndToEnd(t *testing.T) {
	t.Parallel()
	needTools(t, "curl")
	if os.Getuid() != 0 {
		t.Fatal("the direct-host script test runs the script as root, which it requires")
	}
	e := setupHTTP(t)
	tok := e.newToken(t, obj{"token_name": "Cloud init", "metadata": obj{"integration_type": "direct-host"}})
	status, script := getScript(t, e.url, url.Values{"type": {"direct-host"}, "token_key": {tok["token_key"].(string)}, "token_secret": {tok["token_secret"].(string)}})
	require.Equal(t, http.StatusOK, status, script)

	f := newFakeProxmox(t) // only its capturing sh is used
	etc := t.TempDir()
	shell := "/bin/sh"
	env := []string{"PATCHMON_URL=" + e.url, "FRIENDLY_NAME=cloud-vm-1", "COLOR=never", "PATCHMON_ETC=" + etc,
		"FAKE_VMID=direct", "PATH=" + filepath.Join(f.dir, "ctbin") + ":" + os.Getenv("PATH")}
	run := func(extra ...string) (string, int) {
		path := filepath.Join(t.TempDir(), "direct.sh")
		require.NoError(t, os.WriteFile(path, []byte(script), 0o700))
		cmd := exec.Command(shell, path)
		cmd.Env = append(append([]string{"FAKE_PCT_DIR=" + f.dir, "HOME=" + t.TempDir()}, env...), extra...)
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		}
		require.NoError(t, err)
		return string(out), 0
	}

	out, code := run("DRY_RUN=true")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "[DRY RUN] Would enroll: cloud-vm-1")
	assert.Equal(t, 0, hostCount(t, e.pool))

	out, code = run()
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "[SUCCESS] cloud-vm-1 enrolled and agent installed")
	inst, ok := f.installer("direct")
	require.True(t, ok)
	require.NotNil(t, bootstrapRE.FindStringSubmatch(inst), inst)
	var name, notes string
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT friendly_name, notes FROM hosts`).Scan(&name, &notes))
	assert.Equal(t, "cloud-vm-1", name)
	assert.Contains(t, notes, "Auto-enrolled via Cloud init on ")

	// The agent did not really start: a second run finds the machine already enrolled
	// through this token and says what to do instead of creating a twin.
	out, code = run()
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "This machine is already enrolled in PatchMon")
	assert.Equal(t, 1, hostCount(t, e.pool))

	// With a configured, answering agent nothing is done.
	agent := filepath.Join(t.TempDir(), "patchmon-agent")
	require.NoError(t, os.WriteFile(agent, []byte("#!/bin/sh\n[ \"$1\" = ping ]\n"), 0o755))
	for _, n := range []string{"config.yml", "credentials.yml"} {
		require.NoError(t, os.WriteFile(filepath.Join(etc, n), []byte("x: y\n"), 0o600))
	}
	out, code = run("PATCHMON_AGENT_BIN=" + agent)
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "✓ Host already enrolled and agent ping successful - skipping enrollment")
}
