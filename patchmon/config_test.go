package patchmon

import (
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// inDir runs the test in a fresh working directory (LoadConfig reads ./.env).
func inDir(t *testing.T) string {
	dir := t.TempDir()
	t.Chdir(dir)
	return dir
}

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	assert.Equal(t, 3000, c.Port)
	assert.Equal(t, "./data", c.DataDir)
	assert.Equal(t, 30, c.DBConnectionLimit)
	assert.Equal(t, 20*time.Second, c.DBPoolTimeout)
	assert.Equal(t, 15*time.Minute, c.RateLimitWindow)
	assert.Equal(t, 5000, c.RateLimitMax)
	assert.Equal(t, time.Hour, c.JWTExpiresIn)
	assert.Equal(t, 7*24*time.Hour, c.JWTRefreshExpiresIn)
	assert.Equal(t, ByteSize(5<<20), c.JSONBodyLimit)
	assert.Equal(t, ByteSize(2<<20), c.AgentUpdateBodyLimit)
	assert.True(t, c.EnableHSTS)
	assert.True(t, c.PasswordRequireSpecial)
	assert.Equal(t, []string{"http://localhost:3000"}, c.corsOrigins())
	assert.NoError(t, c.validate())
}

// Every env-backed field documents its default in its comment, and every default parses.
func TestEveryFieldHasAnEnvNameAndDefaultDoc(t *testing.T) {
	src, err := os.ReadFile("config.go")
	require.NoError(t, err)
	for _, f := range configFields() {
		name := reflect.TypeOf(Config{}).Field(f.index).Name
		idx := strings.Index(string(src), "\t"+name+" ")
		require.Greater(t, idx, 0, name)
		comment := string(src[:idx])
		comment = comment[strings.LastIndex(comment, "\n\n"):]
		assert.Contains(t, comment, "Default:", "%s (%s) must document its default", name, f.env)
	}
}

func TestLoadConfigPrecedence(t *testing.T) {
	dir := inDir(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".env"), []byte(`
# comment
PORT=4000
LOG_LEVEL="debug"
export RATE_LIMIT_MAX=10 # trailing comment
JWT_EXPIRES_IN='15m'
SERVER_HOST=from-dotenv
`), 0o600))

	c, err := LoadConfig(nil, envOf(nil))
	require.NoError(t, err)
	assert.Equal(t, 4000, c.Port, ".env beats defaults")
	assert.Equal(t, "debug", c.LogLevel)
	assert.Equal(t, 10, c.RateLimitMax)
	assert.Equal(t, 15*time.Minute, c.JWTExpiresIn)

	c, err = LoadConfig(nil, envOf(map[string]string{"PORT": "5000", "SERVER_HOST": "from-env"}))
	require.NoError(t, err)
	assert.Equal(t, 5000, c.Port, "environment beats .env")
	assert.Equal(t, "from-env", c.ServerHost)

	c, err = LoadConfig([]string{"--port", "6000", "--server-host=from-flag", "--enable-hsts=false", "--oidc-sync-roles"},
		envOf(map[string]string{"PORT": "5000", "SERVER_HOST": "from-env"}))
	require.NoError(t, err)
	assert.Equal(t, 6000, c.Port, "flags beat the environment")
	assert.Equal(t, "from-flag", c.ServerHost)
	assert.False(t, c.EnableHSTS)
	assert.True(t, c.OIDCSyncRoles)
	assert.Equal(t, "debug", c.LogLevel, "untouched values still come from .env")
}

func TestLoadConfigFileSecrets(t *testing.T) {
	dir := inDir(t)
	secret := strings.Repeat("s", 40)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "jwt"), []byte(secret+"\n"), 0o600))
	c, err := LoadConfig(nil, envOf(map[string]string{"JWT_SECRET_FILE": filepath.Join(dir, "jwt")}))
	require.NoError(t, err)
	assert.Equal(t, secret, c.JWTSecret)

	// NAME beats NAME_FILE in the same layer.
	c, err = LoadConfig(nil, envOf(map[string]string{"JWT_SECRET_FILE": filepath.Join(dir, "jwt"), "JWT_SECRET": strings.Repeat("e", 40)}))
	require.NoError(t, err)
	assert.Equal(t, strings.Repeat("e", 40), c.JWTSecret)

	_, err = LoadConfig(nil, envOf(map[string]string{"REDIS_PASSWORD_FILE": filepath.Join(dir, "missing")}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "REDIS_PASSWORD_FILE")

	// An explicit --env-file must exist; the implicit ./.env may be absent.
	_, err = LoadConfig([]string{"--env-file", filepath.Join(dir, "nope.env")}, envOf(nil))
	assert.Error(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "other.env"), []byte("PORT=7000\n"), 0o600))
	c, err = LoadConfig([]string{"--env-file=" + filepath.Join(dir, "other.env")}, envOf(nil))
	require.NoError(t, err)
	assert.Equal(t, 7000, c.Port)
}

func TestLoadConfigUnits(t *testing.T) {
	inDir(t)
	c, err := LoadConfig(nil, envOf(map[string]string{
		"RATE_LIMIT_WINDOW_MS":               "60000",
		"DB_POOL_TIMEOUT":                    "5",
		"SESSION_INACTIVITY_TIMEOUT_MINUTES": "45",
		"JWT_REFRESH_EXPIRES_IN":             "3d",
		"TFA_REMEMBER_ME_EXPIRES_IN":         "90d",
		"JWT_EXPIRES_IN":                     "30s",
		"JSON_BODY_LIMIT":                    "10mb",
		"AGENT_UPDATE_BODY_LIMIT":            "512kb",
		"CORS_ORIGINS":                       "https://a.example.com, https://b.example.com",
	}))
	require.NoError(t, err)
	assert.Equal(t, time.Minute, c.RateLimitWindow)
	assert.Equal(t, 5*time.Second, c.DBPoolTimeout)
	assert.Equal(t, 45*time.Minute, c.SessionInactivityTimeout)
	assert.Equal(t, 72*time.Hour, c.JWTRefreshExpiresIn)
	assert.Equal(t, 90*24*time.Hour, c.TFARememberMeExpiresIn)
	assert.Equal(t, 30*time.Second, c.JWTExpiresIn)
	assert.Equal(t, ByteSize(10<<20), c.JSONBodyLimit)
	assert.Equal(t, ByteSize(512<<10), c.AgentUpdateBodyLimit)
	assert.Equal(t, []string{"https://a.example.com", "https://b.example.com"}, c.corsOrigins(), "CORS_ORIGINS overrides CORS_ORIGIN")
}

func TestLoadConfigErrorsNameTheVariable(t *testing.T) {
	inDir(t)
	cases := map[string]map[string]string{
		"PORT":                               {"PORT": "http"},
		"RATE_LIMIT_MAX":                     {"RATE_LIMIT_MAX": "0"},
		"ENABLE_HSTS":                        {"ENABLE_HSTS": "sometimes"},
		"LOG_LEVEL":                          {"LOG_LEVEL": "loud"},
		"JWT_EXPIRES_IN":                     {"JWT_EXPIRES_IN": "forever"},
		"RATE_LIMIT_WINDOW_MS":               {"RATE_LIMIT_WINDOW_MS": "15m"},
		"JSON_BODY_LIMIT":                    {"JSON_BODY_LIMIT": "big"},
		"TZ":                                 {"TZ": "Mars/Olympus"},
		"TRUST_PROXY":                        {"TRUST_PROXY": "perhaps"},
		"CORS_ORIGIN":                        {"CORS_ORIGIN": "localhost:3000"},
		"DATABASE_URL":                       {"DATABASE_URL": "mysql://x"},
		"REDIS_URL":                          {"REDIS_URL": "localhost"},
		"JWT_SECRET":                         {"JWT_SECRET": "short"},
		"OIDC_ISSUER_URL":                    {"OIDC_ENABLED": "true"},
		"SESSION_INACTIVITY_TIMEOUT_MINUTES": {"SESSION_INACTIVITY_TIMEOUT_MINUTES": "0"},
		"SERVER_PROTOCOL":                    {"SERVER_PROTOCOL": "ftp"},
	}
	for name, env := range cases {
		_, err := LoadConfig(nil, envOf(env))
		if assert.Error(t, err, name) {
			assert.Contains(t, err.Error(), name, "error for %v", env)
		}
	}
	// All problems at once, not just the first.
	_, err := LoadConfig(nil, envOf(map[string]string{"PORT": "x", "REDIS_PORT": "y"}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "PORT")
	assert.Contains(t, err.Error(), "REDIS_PORT")

	_, err = LoadConfig([]string{"--no-such-flag"}, envOf(nil))
	assert.ErrorContains(t, err, "unknown flag --no-such-flag")
	_, err = LoadConfig([]string{"--port"}, envOf(nil))
	assert.ErrorContains(t, err, "PORT")
}

func TestDumpRedactsSecrets(t *testing.T) {
	inDir(t)
	c, err := LoadConfig(nil, envOf(map[string]string{
		"DATABASE_URL":   "postgresql://pm:hunter2@db:5432/patchmon",
		"JWT_SECRET":     strings.Repeat("k", 64),
		"REDIS_PASSWORD": "redispass",
	}))
	require.NoError(t, err)
	out := c.Dump()
	assert.NotContains(t, out, "hunter2")
	assert.NotContains(t, out, "redispass")
	assert.NotContains(t, out, strings.Repeat("k", 64))
	assert.Contains(t, out, "DATABASE_URL=postgresql://pm:REDACTED@db:5432/patchmon")
	assert.Contains(t, out, "JWT_SECRET=REDACTED")
	assert.Contains(t, out, "RATE_LIMIT_WINDOW_MS=900000")
	assert.Contains(t, out, "JWT_REFRESH_EXPIRES_IN=7d")
	assert.Contains(t, out, "JSON_BODY_LIMIT=5mb")
	assert.Contains(t, out, "AI_ENCRYPTION_KEY=\n", "unset secrets show as empty")

	// The dump round-trips: loading it as a .env file gives the same configuration.
	require.NoError(t, os.WriteFile(".env", []byte(strings.ReplaceAll(out, "REDACTED", "x")), 0o600))
	again, err := LoadConfig(nil, envOf(map[string]string{"JWT_SECRET": strings.Repeat("k", 64), "DATABASE_URL": "postgresql://pm:hunter2@db:5432/patchmon", "REDIS_PASSWORD": "redispass"}))
	require.NoError(t, err)
	assert.Equal(t, c.Dump(), again.Dump())
}

func TestNewFillsDefaultsAndValidates(t *testing.T) {
	s, err := New(Config{Logger: discardLogger()})
	require.NoError(t, err)
	assert.Equal(t, 3000, s.Config().Port)
	assert.Equal(t, 5000, s.Config().RateLimitMax)

	_, err = New(Config{TZ: "Nowhere/Special", Logger: discardLogger()})
	assert.ErrorContains(t, err, "TZ")
}

func TestSplitCommand(t *testing.T) {
	cases := []struct {
		args []string
		cmd  Command
		rest []string
	}{
		{nil, CommandServe, nil},
		{[]string{"--port", "1"}, CommandServe, []string{"--port", "1"}},
		{[]string{"migrate"}, CommandMigrate, nil},
		{[]string{"migrate", "status", "--database-url", "postgres://x"}, CommandMigrateStatus, []string{"--database-url", "postgres://x"}},
		{[]string{"--config-dump", "--port=9"}, CommandConfigDump, []string{"--port=9"}},
		{[]string{"serve", "--port=9"}, CommandServe, []string{"--port=9"}},
	}
	for _, tc := range cases {
		cmd, rest := SplitCommand(tc.args)
		assert.Equal(t, tc.cmd, cmd, "%v", tc.args)
		assert.Equal(t, tc.rest, rest, "%v", tc.args)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
