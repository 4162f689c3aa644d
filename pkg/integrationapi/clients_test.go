package integrationapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAnsibleInventoryScript runs the dynamic-inventory script printed in the upstream
// documentation (testdata/patchmon_inventory.py, a compatibility fixture: the printed
// script with its line breaks and indentation restored, every token unchanged) against the
// server, the way Ansible does.
func TestAnsibleInventoryScript(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tk := e.token(t, "api", obj{"host": []string{"get"}}, nil)
	script, err := filepath.Abs("testdata/patchmon_inventory.py")
	require.NoError(t, err)

	run := func(env []string, args ...string) (string, string, error) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "python3", append([]string{script}, args...)...)
		cmd.Env = append(os.Environ(), env...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	env := []string{"PATCHMON_API_KEY=" + tk.Key, "PATCHMON_API_SECRET=" + tk.Secret, "PATCHMON_URL=" + e.url}

	out, stderr, err := run(env, "--list")
	require.NoError(t, err, stderr)
	var inv map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &inv), out)
	all := inv["all"].(map[string]any)["hosts"].([]any)
	assert.ElementsMatch(t, []any{"web-server-01", "db-01", "pending-01"}, all)
	hv := inv["_meta"].(map[string]any)["hostvars"].(map[string]any)["web-server-01"].(map[string]any)
	assert.Equal(t, map[string]any{"ansible_host": "192.168.1.100", "patchmon_id": e.web, "patchmon_hostname": "web01.example.com"}, hv)
	prod := inv["production"].(map[string]any)
	assert.Equal(t, []any{"web-server-01"}, prod["hosts"])
	assert.Equal(t, map[string]any{"patchmon_group_id": e.production}, prod["vars"])
	assert.Equal(t, []any{"web-server-01"}, inv["web_servers"].(map[string]any)["hosts"], "spaces become underscores")
	assert.Equal(t, []any{"db-01"}, inv["development"].(map[string]any)["hosts"])

	out, _, err = run(env, "--host", "web-server-01")
	require.NoError(t, err)
	assert.Equal(t, "{}\n", out)

	// Bad credentials make the script fail the way it documents.
	_, stderr, err = run([]string{"PATCHMON_API_KEY=" + tk.Key, "PATCHMON_API_SECRET=wrong", "PATCHMON_URL=" + e.url}, "--list")
	require.Error(t, err)
	assert.Contains(t, stderr, "Error fetching inventory: 401")
}

// TestDocumentedCurlExamples runs the documentation's curl examples
// (testdata/curl_examples.sh), with only their placeholders filled in.
func TestDocumentedCurlExamples(t *testing.T) {
	t.Parallel()
	e := setup(t)
	api := e.token(t, "api", obj{"host": []string{"get", "delete"}}, nil)
	home := e.token(t, "gethomepage", nil, nil)
	homeB64 := base64.StdEncoding.EncodeToString([]byte(home.Key + ":" + home.Secret))

	f, err := os.Open("testdata/curl_examples.sh")
	require.NoError(t, err)
	defer f.Close()
	fill := strings.NewReplacer(
		"patchmon_ae_abc123", api.Key, "your_secret_here", api.Secret, "HOST_UUID", e.web,
		"https://patchmon.example.com", e.url, "http://your-patchmon-url:3000", e.url,
		"your_key:your_secret", home.Key+":"+home.Secret, "YOUR_BASE64_CREDENTIALS", homeB64)
	sc := bufio.NewScanner(f)
	ran := 0
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		cmd := exec.CommandContext(ctx, "sh", "-c", "set -e; "+fill.Replace(line))
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		cancel()
		require.NoError(t, err, "%s\n%s", line, stderr.String())
		got := strings.TrimSpace(stdout.String())
		ran++
		switch {
		case strings.HasPrefix(line, "echo -n"):
			// GNU base64 wraps at 76 columns, and key:secret is longer than 57 bytes: the
			// documented command prints two lines that must be joined (docs/api.md says
			// to use base64 -w0, and the dashboard shows the encoded value).
			assert.Contains(t, got, "\n", line)
			assert.Equal(t, homeB64, strings.ReplaceAll(got, "\n", ""), line)
			continue
		case strings.Contains(line, "jq '{top_os_1_name"):
			var top map[string]any
			require.NoError(t, json.Unmarshal([]byte(got), &top), line)
			assert.Equal(t, "Debian", top["top_os_1_name"], "one host each: ties go by name")
			assert.EqualValues(t, 1, top["top_os_2_count"])
			assert.Len(t, top, 6)
			continue
		}
		var body map[string]any
		require.NoError(t, json.Unmarshal([]byte(got), &body), "%s\n%s", line, got)
		assert.NotContains(t, body, "error", "%s answered %s", line, got)
		switch {
		case strings.Contains(line, "-X DELETE"):
			assert.Equal(t, "Host deleted successfully", body["message"])
		case strings.Contains(line, "hostgroup=Production,Development"):
			assert.EqualValues(t, 2, body["total"])
		case strings.Contains(line, "hostgroup=Production"):
			assert.EqualValues(t, 1, body["total"], line)
		case strings.Contains(line, "/api/v1/api/hosts\"") || strings.HasSuffix(line, "/api/v1/api/hosts") || strings.Contains(line, "/hosts | jq") ||
			strings.Contains(line, "include=stats"):
			assert.EqualValues(t, 3, body["total"], line)
		case strings.Contains(line, "/stats") && strings.Contains(line, "gethomepage"):
			assert.EqualValues(t, 2, body["total_hosts"], line)
		case strings.Contains(line, "/stats"):
			assert.EqualValues(t, 3, body["total_installed_packages"], line)
		case strings.Contains(line, "/system"):
			assert.Equal(t, "x86_64", body["architecture"])
		case strings.Contains(line, "updates_only=true"):
			assert.EqualValues(t, 2, body["total"])
		case strings.Contains(line, "/packages"):
			assert.EqualValues(t, 3, body["total"])
		default:
			t.Errorf("no expectation for %s", line)
		}
	}
	require.NoError(t, sc.Err())
	assert.Equal(t, 16, ran)
}
