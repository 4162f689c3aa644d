package agentkit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/patchmon-go/patchmon/agentkit/collect"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

// DefaultConfigFile is where the agent's configuration lives.
const DefaultConfigFile = "/etc/patchmon/config.yml"

// ErrNoCredentials: the credentials file is missing or lacks api_id/api_key.
var ErrNoCredentials = errors.New("credentials not configured")

// FileConfig is the agent's config.yml together with the credentials file it
// names. LoadFile reads it; the Save methods write it back atomically (a
// temporary file renamed over the old one, mode 0600), editing the YAML
// document in place so that comments, key order and keys this agent does not
// know survive, and re-reading the file first so that edits made by hand
// while the agent runs are not lost.
//
// Paths default to siblings of the config file: with the default
// /etc/patchmon/config.yml they are /etc/patchmon/credentials.yml and
// /etc/patchmon/logs/patchmon-agent.log, as documented, and a config file
// elsewhere (tests, a second agent) keeps everything next to it.
type FileConfig struct {
	// Path is the config file. Exists reports whether it was found.
	Path   string
	Exists bool

	PatchmonServer string // patchmon_server
	APIVersion     string // api_version; default "v1"
	// CredentialsFile is credentials_file; default credentials.yml next to
	// the config file.
	CredentialsFile string
	// LogFile is log_file; default logs/patchmon-agent.log next to the
	// config file.
	LogFile       string
	LogLevel      string // log_level; default "info"
	SkipSSLVerify bool   // skip_ssl_verify
	// UpdateInterval is update_interval in minutes; default 60.
	UpdateInterval int
	// ReportOffset is report_offset in seconds; 0 means "derive".
	ReportOffset int
	// PackageCacheRefreshMode is package_cache_refresh_mode (always,
	// if_stale, never); default if_stale.
	PackageCacheRefreshMode string
	// PackageCacheRefreshMaxAge is package_cache_refresh_max_age in
	// minutes; default 60.
	PackageCacheRefreshMaxAge int
	Integrations              FileIntegrations

	// APIID and APIKey come from the credentials file (LoadCredentials).
	APIID  string
	APIKey string

	mu sync.Mutex
}

// FileIntegrations is the integrations section of config.yml.
type FileIntegrations struct {
	Docker bool // docker
	// Compliance is "disabled", "on-demand" or "enabled"; the file writes
	// them false, "on-demand" and true. Default "on-demand".
	Compliance  string
	OpenSCAP    *bool // compliance.openscap_enabled (nested form only)
	DockerBench *bool // compliance.docker_bench_enabled (nested form only)
	// SSHProxyEnabled is ssh-proxy-enabled. Only the host's administrator
	// sets it: the agent never writes it.
	SSHProxyEnabled bool
}

// LoadFile reads the config file at path (DefaultConfigFile when empty). A
// missing file is not an error: the documented defaults apply and Exists is
// false. Credentials are not read; call LoadCredentials.
func LoadFile(path string) (*FileConfig, error) {
	if path == "" {
		path = DefaultConfigFile
	}
	f := &FileConfig{Path: path}
	f.defaults()
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, err
	}
	f.Exists = true
	doc, err := parseYAML(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := f.decode(doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

func (f *FileConfig) defaults() {
	dir := filepath.Dir(f.Path)
	f.APIVersion = "v1"
	f.CredentialsFile = filepath.Join(dir, "credentials.yml")
	f.LogFile = filepath.Join(dir, "logs", "patchmon-agent.log")
	f.LogLevel = "info"
	f.UpdateInterval = 60
	f.PackageCacheRefreshMode = string(collect.RefreshIfStale)
	f.PackageCacheRefreshMaxAge = 60
	f.Integrations.Compliance = agentproto.ComplianceModeOnDemand
}

// parseYAML returns the document node of data, creating an empty mapping
// for an empty file.
func parseYAML(data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind == 0 {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map"}}}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("the configuration must be a YAML mapping of settings")
	}
	return &doc, nil
}

func (f *FileConfig) decode(doc *yaml.Node) error {
	root := doc.Content[0]
	str := func(key string, dst *string) error {
		if n := lookup(root, key); n != nil {
			if n.Kind != yaml.ScalarNode {
				return fmt.Errorf("%s must be a string", key)
			}
			if n.Value != "" {
				*dst = n.Value
			}
		}
		return nil
	}
	num := func(key string, dst *int) error {
		if n := lookup(root, key); n != nil && n.Value != "" {
			v, err := strconv.Atoi(n.Value)
			if err != nil || n.Kind != yaml.ScalarNode {
				return fmt.Errorf("%s must be a whole number, not %q", key, n.Value)
			}
			*dst = v
		}
		return nil
	}
	boolean := func(m *yaml.Node, key string, dst *bool) error {
		if n := lookup(m, key); n != nil && n.Value != "" {
			v, ok := parseYAMLBool(n.Value)
			if !ok || n.Kind != yaml.ScalarNode {
				return fmt.Errorf("%s must be true or false, not %q", key, n.Value)
			}
			*dst = v
		}
		return nil
	}
	if err := errors.Join(
		str("patchmon_server", &f.PatchmonServer),
		str("api_version", &f.APIVersion),
		str("credentials_file", &f.CredentialsFile),
		str("log_file", &f.LogFile),
		str("log_level", &f.LogLevel),
		boolean(root, "skip_ssl_verify", &f.SkipSSLVerify),
		num("update_interval", &f.UpdateInterval),
		num("report_offset", &f.ReportOffset),
		str("package_cache_refresh_mode", &f.PackageCacheRefreshMode),
		num("package_cache_refresh_max_age", &f.PackageCacheRefreshMaxAge),
	); err != nil {
		return err
	}
	if in := lookup(root, "integrations"); in != nil && in.Kind == yaml.MappingNode {
		if err := errors.Join(
			boolean(in, "docker", &f.Integrations.Docker),
			boolean(in, "ssh-proxy-enabled", &f.Integrations.SSHProxyEnabled),
		); err != nil {
			return err
		}
		if c := lookup(in, "compliance"); c != nil {
			mode, err := decodeCompliance(c, &f.Integrations)
			if err != nil {
				return err
			}
			f.Integrations.Compliance = mode
		}
	}
	return nil
}

// decodeCompliance reads integrations.compliance: a scalar (false,
// "on-demand", true) or the nested form {enabled, openscap_enabled,
// docker_bench_enabled}.
func decodeCompliance(n *yaml.Node, in *FileIntegrations) (string, error) {
	if n.Kind == yaml.MappingNode {
		if o := lookup(n, "openscap_enabled"); o != nil {
			if v, ok := parseYAMLBool(o.Value); ok {
				in.OpenSCAP = &v
			}
		}
		if d := lookup(n, "docker_bench_enabled"); d != nil {
			if v, ok := parseYAMLBool(d.Value); ok {
				in.DockerBench = &v
			}
		}
		n = lookup(n, "enabled")
		if n == nil {
			return agentproto.ComplianceModeOnDemand, nil
		}
	}
	if mode := complianceMode(n.Value); mode != "" {
		return mode, nil
	}
	return "", fmt.Errorf("integrations.compliance must be false, \"on-demand\" or true, not %q", n.Value)
}

func complianceMode(v string) string {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "false", "no", "off", "disabled":
		return agentproto.ComplianceModeDisabled
	case "true", "yes", "on", "enabled":
		return agentproto.ComplianceModeEnabled
	case "on-demand", "on_demand", "ondemand":
		return agentproto.ComplianceModeOnDemand
	}
	return ""
}

func parseYAMLBool(v string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "on":
		return true, true
	case "false", "no", "off":
		return false, true
	}
	return false, false
}

// marshalYAML encodes with the two-space indentation of the installer's
// files.
func marshalYAML(n *yaml.Node) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// lookup returns the value node of key in mapping m, or nil.
func lookup(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// set sets key in mapping m to the scalar value, keeping the existing value
// node (and so its comments and quoting) when there is one.
func set(m *yaml.Node, key, tag, value string) {
	if n := lookup(m, key); n != nil {
		style := n.Style
		if n.Kind != yaml.ScalarNode || tag != "!!str" {
			style = 0
		}
		*n = yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value, Style: style,
			HeadComment: n.HeadComment, LineComment: n.LineComment, FootComment: n.FootComment}
		return
	}
	style := yaml.Style(0)
	if tag == "!!str" {
		style = yaml.DoubleQuotedStyle
	}
	m.Content = append(m.Content,
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key},
		&yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value, Style: style})
}

// child returns the mapping under key in m, creating it when missing.
func child(m *yaml.Node, key string) *yaml.Node {
	if n := lookup(m, key); n != nil {
		if n.Kind != yaml.MappingNode {
			*n = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", HeadComment: n.HeadComment, LineComment: n.LineComment}
		}
		return n
	}
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, n)
	return n
}

// edit re-reads the config file, applies fn to its root mapping and writes
// it back atomically with mode 0600.
func (f *FileConfig) edit(fn func(root *yaml.Node)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	data, err := os.ReadFile(f.Path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	var doc *yaml.Node
	if len(data) == 0 {
		doc, _ = parseYAML([]byte("# PatchMon Agent Configuration\n"))
		doc.Content[0].HeadComment = "PatchMon Agent Configuration"
	} else if doc, err = parseYAML(data); err != nil {
		return fmt.Errorf("%s: %w", f.Path, err)
	}
	fn(doc.Content[0])
	out, err := marshalYAML(doc)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o755); err != nil {
		return err
	}
	if err := writeFileAtomic(f.Path, out, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", f.Path, err)
	}
	f.Exists = true
	return nil
}

// SaveServer writes patchmon_server (config set-api).
func (f *FileConfig) SaveServer(serverURL string) error {
	u, err := url.Parse(serverURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("server URL %q must start with http:// or https:// and name a host", serverURL)
	}
	serverURL = strings.TrimRight(serverURL, "/")
	if err := f.edit(func(root *yaml.Node) {
		set(root, "patchmon_server", "!!str", serverURL)
		if lookup(root, "api_version") == nil {
			set(root, "api_version", "!!str", f.APIVersion)
		}
		if lookup(root, "credentials_file") == nil {
			set(root, "credentials_file", "!!str", f.CredentialsFile)
		}
	}); err != nil {
		return err
	}
	f.PatchmonServer = serverURL
	return nil
}

// SaveSettings implements SettingsStore: it writes the server-driven keys
// (update_interval, report_offset, package_cache_refresh_mode,
// package_cache_refresh_max_age, integrations.docker and
// integrations.compliance) and nothing else — local settings such as the
// log level, paths, skip_ssl_verify and ssh-proxy-enabled stay as the
// administrator wrote them.
func (f *FileConfig) SaveSettings(_ context.Context, s Settings) error {
	return f.edit(func(root *yaml.Node) {
		if s.UpdateInterval > 0 {
			set(root, "update_interval", "!!int", strconv.Itoa(int(s.UpdateInterval/time.Minute)))
			set(root, "report_offset", "!!int", strconv.Itoa(int(s.ReportOffset/time.Second)))
			f.UpdateInterval, f.ReportOffset = int(s.UpdateInterval/time.Minute), int(s.ReportOffset/time.Second)
		}
		if s.PackageCacheRefresh != "" {
			set(root, "package_cache_refresh_mode", "!!str", string(s.PackageCacheRefresh))
			f.PackageCacheRefreshMode = string(s.PackageCacheRefresh)
		}
		if s.PackageCacheMaxAge > 0 {
			set(root, "package_cache_refresh_max_age", "!!int", strconv.Itoa(int(s.PackageCacheMaxAge/time.Minute)))
			f.PackageCacheRefreshMaxAge = int(s.PackageCacheMaxAge / time.Minute)
		}
		if in := s.Integrations; in != nil {
			m := child(root, "integrations")
			set(m, "docker", "!!bool", strconv.FormatBool(in.Docker))
			f.Integrations.Docker = in.Docker
			if c := lookup(m, "compliance"); c != nil && c.Kind == yaml.MappingNode {
				setComplianceScalar(c, "enabled", in.Compliance)
				if in.OpenSCAP != nil {
					set(c, "openscap_enabled", "!!bool", strconv.FormatBool(*in.OpenSCAP))
				}
				if in.DockerBench != nil {
					set(c, "docker_bench_enabled", "!!bool", strconv.FormatBool(*in.DockerBench))
				}
			} else {
				setComplianceScalar(m, "compliance", in.Compliance)
			}
			f.Integrations.Compliance = in.Compliance
			if lookup(m, "ssh-proxy-enabled") == nil {
				// Written once so administrators find the switch; never
				// changed by the agent.
				set(m, "ssh-proxy-enabled", "!!bool", "false")
			}
		}
	})
}

func setComplianceScalar(m *yaml.Node, key, mode string) {
	switch mode {
	case agentproto.ComplianceModeEnabled:
		set(m, key, "!!bool", "true")
	case agentproto.ComplianceModeDisabled:
		set(m, key, "!!bool", "false")
	default:
		set(m, key, "!!str", agentproto.ComplianceModeOnDemand)
	}
}

// LoadCredentials reads api_id and api_key from the credentials file.
func (f *FileConfig) LoadCredentials() error {
	data, err := os.ReadFile(f.CredentialsFile)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: credentials file not found at %s", ErrNoCredentials, f.CredentialsFile)
	}
	if err != nil {
		return err
	}
	var c struct {
		APIID  string `yaml:"api_id"`
		APIKey string `yaml:"api_key"`
	}
	if err := yaml.Unmarshal(data, &c); err != nil {
		return fmt.Errorf("%s: %w", f.CredentialsFile, err)
	}
	if c.APIID == "" || c.APIKey == "" {
		return fmt.Errorf("%w: api_id and api_key must be set in %s", ErrNoCredentials, f.CredentialsFile)
	}
	f.APIID, f.APIKey = c.APIID, c.APIKey
	return nil
}

// SaveCredentials writes the credentials file atomically with mode 0600.
func (f *FileConfig) SaveCredentials(apiID, apiKey string) error {
	if strings.TrimSpace(apiID) == "" || strings.TrimSpace(apiKey) == "" {
		return errors.New("API ID and API key must not be empty")
	}
	doc := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", HeadComment: "PatchMon API Credentials"}
	set(doc, "api_id", "!!str", apiID)
	set(doc, "api_key", "!!str", apiKey)
	out, err := marshalYAML(doc)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(f.CredentialsFile), 0o755); err != nil {
		return err
	}
	if err := writeFileAtomic(f.CredentialsFile, out, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", f.CredentialsFile, err)
	}
	f.APIID, f.APIKey = apiID, apiKey
	return nil
}

// AgentConfig returns the Config this file describes: server, credentials,
// schedule and cache settings, with the spool and state kept next to the
// config file and this file as the SettingsStore. Logger, BinaryPath and
// Restart are left for the caller.
func (f *FileConfig) AgentConfig() Config {
	dir := filepath.Dir(f.Path)
	c := Config{
		ServerURL:           f.PatchmonServer,
		APIVersion:          f.APIVersion,
		APIID:               f.APIID,
		APIKey:              f.APIKey,
		SkipTLSVerify:       f.SkipSSLVerify,
		UpdateInterval:      time.Duration(f.UpdateInterval) * time.Minute,
		ReportOffset:        time.Duration(f.ReportOffset) * time.Second,
		PackageCacheRefresh: collect.RefreshMode(f.PackageCacheRefreshMode),
		PackageCacheMaxAge:  time.Duration(f.PackageCacheRefreshMaxAge) * time.Minute,
		SpoolDir:            filepath.Join(dir, "spool"),
		StateDir:            dir,
		Settings:            f,
	}
	if !c.PackageCacheRefresh.Valid() {
		c.PackageCacheRefresh = collect.RefreshIfStale
	}
	return c
}
