package patchmon

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/patchmon-go/patchmon/pkg/httpx"
)

// configField describes one environment-backed field of Config, read from its struct tags.
type configField struct {
	index   int
	env     string
	def     string
	unit    string // "", "ms", "s", "min"
	secret  bool
	enum    []string
	min     *int64
	max     *int64
	kind    reflect.Type
	comment string
}

var durationType = reflect.TypeOf(time.Duration(0))
var byteSizeType = reflect.TypeOf(ByteSize(0))

// configFields lists Config's environment-backed fields in declaration order.
func configFields() []configField {
	t := reflect.TypeOf(Config{})
	var out []configField
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		env := sf.Tag.Get("env")
		if env == "" {
			continue
		}
		f := configField{index: i, env: env, def: sf.Tag.Get("default"), unit: sf.Tag.Get("unit"),
			secret: sf.Tag.Get("secret") == "true", kind: sf.Type}
		if e := sf.Tag.Get("enum"); e != "" {
			f.enum = strings.Split(e, ",")
		}
		if m := sf.Tag.Get("min"); m != "" {
			v, _ := strconv.ParseInt(m, 10, 64)
			f.min = &v
		}
		if m := sf.Tag.Get("max"); m != "" {
			v, _ := strconv.ParseInt(m, 10, 64)
			f.max = &v
		}
		out = append(out, f)
	}
	return out
}

// LoadConfig builds a Config from, in increasing precedence: the documented defaults, a
// .env file in the working directory (or the one named by --env-file), the environment as
// seen through getenv, and flags. Every variable NAME can also be given as NAME_FILE, the
// path of a file holding the value (for secrets mounted by an orchestrator). Flags are the
// variable names in lower case with dashes: --port 3000, --database-url=…, --enable-hsts.
// Errors name the variable and say what is wrong; all problems are reported at once.
func LoadConfig(args []string, getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	fields := configFields()
	byFlag := make(map[string]configField, len(fields))
	for _, f := range fields {
		byFlag[flagName(f.env)] = f
	}

	flags := map[string]string{}
	envFile := ".env"
	envFileExplicit := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			return Config{}, fmt.Errorf("unexpected argument %q", a)
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name == "env-file" {
			if !hasVal {
				if i+1 >= len(args) {
					return Config{}, errors.New("--env-file needs a path")
				}
				i++
				val = args[i]
			}
			envFile, envFileExplicit = val, true
			continue
		}
		f, ok := byFlag[name]
		if !ok {
			return Config{}, fmt.Errorf("unknown flag --%s", name)
		}
		if !hasVal {
			if f.kind.Kind() == reflect.Bool && (i+1 >= len(args) || strings.HasPrefix(args[i+1], "-")) {
				val = "true"
			} else {
				if i+1 >= len(args) {
					return Config{}, fmt.Errorf("flag --%s (%s) needs a value", name, f.env)
				}
				i++
				val = args[i]
			}
		}
		flags[f.env] = val
	}

	dotenv, err := readDotenv(envFile)
	if err != nil && (envFileExplicit || !errors.Is(err, os.ErrNotExist)) {
		return Config{}, fmt.Errorf("reading %s: %w", envFile, err)
	}

	cfg := DefaultConfig()
	rv := reflect.ValueOf(&cfg).Elem()
	var errs []error
	for _, f := range fields {
		raw, set, err := lookupLayered(f.env, flags, getenv, dotenv)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !set {
			continue
		}
		if err := setField(rv.Field(f.index), f, raw); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.env, err))
		}
	}
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	if err := cfg.validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// lookupLayered finds a variable's raw value: flag, then environment, then .env; at each
// layer NAME wins over NAME_FILE.
func lookupLayered(name string, flags map[string]string, getenv func(string) string, dotenv map[string]string) (string, bool, error) {
	if v, ok := flags[name]; ok {
		return v, true, nil
	}
	if v := getenv(name); v != "" {
		return v, true, nil
	}
	if p := getenv(name + "_FILE"); p != "" {
		return readSecretFile(name, p)
	}
	if v, ok := dotenv[name]; ok {
		return v, true, nil
	}
	if p, ok := dotenv[name+"_FILE"]; ok && p != "" {
		return readSecretFile(name, p)
	}
	return "", false, nil
}

func readSecretFile(name, path string) (string, bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", false, fmt.Errorf("%s_FILE: %w", name, err)
	}
	return strings.TrimRight(string(b), "\r\n"), true, nil
}

// readDotenv parses KEY=VALUE lines; # comments, blank lines, "export " prefixes and single
// or double quotes are understood. Double-quoted values support \n, \" and \\ escapes.
func readDotenv(path string) (map[string]string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		s = strings.TrimPrefix(s, "export ")
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: expected KEY=VALUE", line)
		}
		k = strings.TrimSpace(k)
		v = strings.TrimSpace(v)
		switch {
		case len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"':
			v = strings.NewReplacer(`\n`, "\n", `\"`, `"`, `\\`, `\`).Replace(v[1 : len(v)-1])
		case len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'':
			v = v[1 : len(v)-1]
		default:
			if i := strings.Index(v, " #"); i >= 0 {
				v = strings.TrimSpace(v[:i])
			}
		}
		out[k] = v
	}
	return out, sc.Err()
}

func flagName(env string) string { return strings.ReplaceAll(strings.ToLower(env), "_", "-") }

// setField parses raw into the field described by f.
func setField(v reflect.Value, f configField, raw string) error {
	raw = strings.TrimSpace(raw)
	switch {
	case f.kind == durationType:
		d, err := parseConfigDuration(raw, f.unit)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
	case f.kind == byteSizeType:
		n, err := ParseByteSize(raw)
		if err != nil {
			return err
		}
		v.SetInt(int64(n))
	case f.kind.Kind() == reflect.Int:
		n, err := strconv.Atoi(raw)
		if err != nil {
			return fmt.Errorf("invalid value %q: must be a whole number", raw)
		}
		if f.min != nil && int64(n) < *f.min || f.max != nil && int64(n) > *f.max {
			return fmt.Errorf("invalid value %d: %s", n, rangeText(f))
		}
		v.SetInt(int64(n))
	case f.kind.Kind() == reflect.Bool:
		b, err := parseBool(raw)
		if err != nil {
			return err
		}
		v.SetBool(b)
	case f.kind.Kind() == reflect.String:
		if len(f.enum) > 0 {
			lower := strings.ToLower(raw)
			ok := false
			for _, e := range f.enum {
				if e == lower {
					ok = true
				}
			}
			if !ok {
				return fmt.Errorf("invalid value %q: must be one of %s", raw, strings.Join(f.enum, ", "))
			}
			raw = lower
		}
		v.SetString(raw)
	case f.kind.Kind() == reflect.Slice && f.kind.Elem().Kind() == reflect.String:
		var list []string
		for _, p := range strings.Split(raw, ",") {
			if p = strings.TrimSpace(p); p != "" {
				list = append(list, p)
			}
		}
		v.Set(reflect.ValueOf(list))
	default:
		return fmt.Errorf("unsupported field type %s", f.kind)
	}
	return nil
}

func rangeText(f configField) string {
	switch {
	case f.min != nil && f.max != nil:
		return fmt.Sprintf("must be between %d and %d", *f.min, *f.max)
	case f.min != nil:
		return fmt.Sprintf("must be at least %d", *f.min)
	default:
		return fmt.Sprintf("must be at most %d", *f.max)
	}
}

func parseBool(raw string) (bool, error) {
	switch strings.ToLower(raw) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("invalid value %q: must be true or false", raw)
}

// parseConfigDuration reads an integer in unit ("ms", "s", "min"), or, with no unit, the
// documented "30s 15m 2h 7d" forms (Go durations and a bare number of seconds also work).
func parseConfigDuration(raw, unit string) (time.Duration, error) {
	if unit != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("invalid value %q: must be a whole number of %s", raw, unitName(unit))
		}
		switch unit {
		case "ms":
			return time.Duration(n) * time.Millisecond, nil
		case "s":
			return time.Duration(n) * time.Second, nil
		case "min":
			return time.Duration(n) * time.Minute, nil
		}
		return 0, fmt.Errorf("unknown unit %q", unit)
	}
	d, err := ParseDuration(raw)
	if err != nil {
		return 0, fmt.Errorf("invalid value %q: use a number with a unit such as 30s, 15m, 2h or 7d", raw)
	}
	return d, nil
}

func unitName(u string) string {
	switch u {
	case "ms":
		return "milliseconds"
	case "s":
		return "seconds"
	}
	return "minutes"
}

// ParseDuration reads the durations PatchMon's configuration uses: "30s", "15m", "2h",
// "7d", Go forms such as "1h30m", or a bare number of seconds.
func ParseDuration(raw string) (time.Duration, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return 0, errors.New("empty duration")
	}
	if n, err := strconv.ParseInt(raw, 10, 64); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, nil
	}
	if strings.HasSuffix(raw, "d") {
		n, err := strconv.ParseFloat(strings.TrimSuffix(raw, "d"), 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("invalid duration %q", raw)
		}
		return time.Duration(n * float64(24*time.Hour)), nil
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid duration %q", raw)
	}
	return d, nil
}

// ParseByteSize reads sizes such as "5mb", "512kb", "1gb", "100b" or "2048" (1 kb = 1024 bytes).
func ParseByteSize(raw string) (ByteSize, error) {
	s := strings.ToLower(strings.TrimSpace(raw))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"gb", 1 << 30}, {"mb", 1 << 20}, {"kb", 1 << 10}, {"b", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("invalid size %q: use a positive size such as 512kb, 5mb or 1gb", raw)
	}
	return ByteSize(n * float64(mult)), nil
}

// formatField renders a field's value the way it would be written in the environment.
func formatField(v reflect.Value, f configField) string {
	switch {
	case f.kind == durationType:
		d := time.Duration(v.Int())
		switch f.unit {
		case "ms":
			return strconv.FormatInt(d.Milliseconds(), 10)
		case "s":
			return strconv.FormatInt(int64(d/time.Second), 10)
		case "min":
			return strconv.FormatInt(int64(d/time.Minute), 10)
		}
		return FormatDuration(d)
	case f.kind == byteSizeType:
		return ByteSize(v.Int()).String()
	case f.kind.Kind() == reflect.Slice:
		return strings.Join(v.Interface().([]string), ",")
	}
	return fmt.Sprint(v.Interface())
}

// FormatDuration writes d in the largest whole unit among d, h, m, s (Go form otherwise).
func FormatDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d%time.Second == 0:
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return d.String()
}

// applyDefaults sets every zero-valued field that has a default; bools only when withBools.
func applyDefaults(c *Config, withBools bool) error {
	rv := reflect.ValueOf(c).Elem()
	for _, f := range configFields() {
		if f.def == "" {
			continue
		}
		v := rv.Field(f.index)
		if f.kind.Kind() == reflect.Bool && !withBools {
			continue
		}
		if !v.IsZero() {
			continue
		}
		if err := setField(v, f, f.def); err != nil {
			return fmt.Errorf("default of %s: %w", f.env, err)
		}
	}
	return nil
}

// Dump returns the effective configuration as NAME=value lines, secrets redacted.
func (c Config) Dump() string {
	rv := reflect.ValueOf(c)
	var b strings.Builder
	for _, f := range configFields() {
		val := formatField(rv.Field(f.index), f)
		if f.secret && val != "" {
			val = redact(f.env, val)
		}
		fmt.Fprintf(&b, "%s=%s\n", f.env, val)
	}
	return b.String()
}

// redact hides a secret; connection URLs keep everything but the password.
func redact(name, val string) string {
	if name == "DATABASE_URL" || name == "REDIS_URL" {
		if u, err := url.Parse(val); err == nil && u.Scheme != "" {
			if _, has := u.User.Password(); has {
				u.User = url.UserPassword(u.User.Username(), "REDACTED")
			}
			return u.String()
		}
	}
	return "REDACTED"
}

// validate checks cross-field rules and values whose syntax a tag cannot express.
func (c *Config) validate() error {
	var errs []error
	add := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{name}, args...)...))
	}
	if _, err := time.LoadLocation(c.TZ); err != nil {
		add("TZ", "unknown time zone %q", c.TZ)
	}
	if _, err := httpx.ParseTrustProxy(c.TrustProxy); err != nil {
		add("TRUST_PROXY", "%v", err)
	}
	for _, o := range c.corsOrigins() {
		if o == "*" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			name := "CORS_ORIGIN"
			if len(c.CORSOrigins) > 0 {
				name = "CORS_ORIGINS"
			}
			add(name, "invalid origin %q: use scheme://host[:port]", o)
		}
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			add("DATABASE_URL", "must be a postgresql://user:password@host:port/database URL")
		}
	}
	if c.RedisURL != "" {
		u, err := url.Parse(c.RedisURL)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			add("REDIS_URL", "must be a redis://[user:password@]host:port[/db] URL")
		}
	}
	if c.Host != "" && net.ParseIP(c.Host) == nil && c.Host != "localhost" {
		add("HOST", "must be an IP address or localhost, got %q", c.Host)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"JWT_EXPIRES_IN", c.JWTExpiresIn}, {"JWT_REFRESH_EXPIRES_IN", c.JWTRefreshExpiresIn},
		{"SESSION_INACTIVITY_TIMEOUT_MINUTES", c.SessionInactivityTimeout}, {"RATE_LIMIT_WINDOW_MS", c.RateLimitWindow},
		{"AUTH_RATE_LIMIT_WINDOW_MS", c.AuthRateLimitWindow}, {"AGENT_RATE_LIMIT_WINDOW_MS", c.AgentRateLimitWindow}} {
		if d.v <= 0 {
			add(d.name, "must be greater than zero")
		}
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < 32 {
		add("JWT_SECRET", "must be at least 32 characters (generate one with: openssl rand -hex 64)")
	}
	if c.OIDCEnabled {
		for _, r := range []struct{ name, v string }{{"OIDC_ISSUER_URL", c.OIDCIssuerURL},
			{"OIDC_CLIENT_ID", c.OIDCClientID}, {"OIDC_REDIRECT_URI", c.OIDCRedirectURI}} {
			if r.v == "" {
				add(r.name, "is required when OIDC_ENABLED=true")
			}
		}
	}
	return errors.Join(errs...)
}
