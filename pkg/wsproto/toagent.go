package wsproto

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
)

// Server → agent frame types.
const (
	TypeSettingsUpdate           Type = "settings_update"
	TypeReportNow                Type = "report_now"
	TypeUpdateAgent              Type = "update_agent"
	TypeRefreshIntegrationStatus Type = "refresh_integration_status"
	TypeDockerInventoryRefresh   Type = "docker_inventory_refresh"
	TypeRunPatch                 Type = "run_patch"
	TypePatchRunStop             Type = "patch_run_stop"
	TypeComplianceScan           Type = "compliance_scan"
	TypeComplianceScanCancel     Type = "compliance_scan_cancel"
	TypeUpgradeSSG               Type = "upgrade_ssg"
	TypeInstallScanner           Type = "install_scanner"
	TypeRemediateRule            Type = "remediate_rule"
	TypeDockerImageScan          Type = "docker_image_scan"
	TypeApplyConfig              Type = "apply_config"
	TypeSSHProxy                 Type = "ssh_proxy"
	TypeSSHProxyInput            Type = "ssh_proxy_input"
	TypeSSHProxyResize           Type = "ssh_proxy_resize"
	TypeSSHProxyDisconnect       Type = "ssh_proxy_disconnect"
)

// toAgent is embedded (by method set, not by field) in every server → agent
// frame.
type toAgent struct{}

func (toAgent) Direction() Direction { return ServerToAgent }
func (toAgent) sealed()              {}

// SettingsUpdate pushes reporting settings; the agent saves them to its
// config.yml and re-derives its report offset. Zero optional fields are left
// out, and the agent keeps its current value for them.
type SettingsUpdate struct {
	toAgent
	// UpdateInterval is the report interval in minutes.
	UpdateInterval int `json:"update_interval"`
	// ComplianceScanInterval is the scheduled compliance scan interval in
	// minutes.
	ComplianceScanInterval int `json:"compliance_scan_interval,omitempty"`
	// PackageCacheRefreshMode says when the agent refreshes its package
	// manager's cache before collecting.
	PackageCacheRefreshMode string `json:"package_cache_refresh_mode,omitempty"`
	// PackageCacheRefreshMaxAge is the cache age in minutes beyond which it is
	// refreshed.
	PackageCacheRefreshMaxAge int `json:"package_cache_refresh_max_age,omitempty"`
}

func (SettingsUpdate) Type() Type { return TypeSettingsUpdate }

func (m SettingsUpdate) Validate() error {
	switch {
	case m.UpdateInterval < 0:
		return invalid(TypeSettingsUpdate, "update_interval", "must not be negative")
	case m.ComplianceScanInterval < 0:
		return invalid(TypeSettingsUpdate, "compliance_scan_interval", "must not be negative")
	case m.PackageCacheRefreshMaxAge < 0:
		return invalid(TypeSettingsUpdate, "package_cache_refresh_max_age", "must not be negative")
	}
	return nil
}

func (m SettingsUpdate) MarshalJSON() ([]byte, error) {
	type plain SettingsUpdate
	return marshalWithType(TypeSettingsUpdate, plain(m))
}

// ReportNow asks the agent for an immediate report.
type ReportNow struct{ toAgent }

func (ReportNow) Type() Type      { return TypeReportNow }
func (ReportNow) Validate() error { return nil }
func (m ReportNow) MarshalJSON() ([]byte, error) {
	type plain ReportNow
	return marshalWithType(TypeReportNow, plain(m))
}

// UpdateAgent asks the agent to check for a new version and update itself.
type UpdateAgent struct{ toAgent }

func (UpdateAgent) Type() Type      { return TypeUpdateAgent }
func (UpdateAgent) Validate() error { return nil }
func (m UpdateAgent) MarshalJSON() ([]byte, error) {
	type plain UpdateAgent
	return marshalWithType(TypeUpdateAgent, plain(m))
}

// RefreshIntegrationStatus asks the agent to fetch its integration switches
// (GET hosts/integrations) and report their state again.
type RefreshIntegrationStatus struct{ toAgent }

func (RefreshIntegrationStatus) Type() Type      { return TypeRefreshIntegrationStatus }
func (RefreshIntegrationStatus) Validate() error { return nil }
func (m RefreshIntegrationStatus) MarshalJSON() ([]byte, error) {
	type plain RefreshIntegrationStatus
	return marshalWithType(TypeRefreshIntegrationStatus, plain(m))
}

// DockerInventoryRefresh asks the agent to send its Docker inventory now.
type DockerInventoryRefresh struct{ toAgent }

func (DockerInventoryRefresh) Type() Type      { return TypeDockerInventoryRefresh }
func (DockerInventoryRefresh) Validate() error { return nil }
func (m DockerInventoryRefresh) MarshalJSON() ([]byte, error) {
	type plain DockerInventoryRefresh
	return marshalWithType(TypeDockerInventoryRefresh, plain(m))
}

// Patch types of RunPatch.
const (
	PatchAll     = "patch_all"
	PatchPackage = "patch_package"
)

// RunPatch starts a patch run; the agent streams its output to
// POST patching/runs/{patch_run_id}/output.
type RunPatch struct {
	toAgent
	PatchRunID string `json:"patch_run_id"`
	// PatchType is PatchAll or PatchPackage; empty means PatchAll.
	PatchType string `json:"patch_type"`
	// PackageName is the single package of a PatchPackage run (older form).
	PackageName string `json:"package_name,omitempty"`
	// PackageNames are the packages of a PatchPackage run; wins over
	// PackageName.
	PackageNames []string `json:"package_names,omitempty"`
	DryRun       bool     `json:"dry_run"`
}

func (RunPatch) Type() Type { return TypeRunPatch }

func (m RunPatch) Validate() error {
	switch {
	case m.PatchRunID == "":
		return invalid(TypeRunPatch, "patch_run_id", "is required")
	case m.PatchType != "" && m.PatchType != PatchAll && m.PatchType != PatchPackage:
		return invalid(TypeRunPatch, "patch_type", "must be patch_all or patch_package")
	case m.PatchType == PatchPackage && m.PackageName == "" && len(m.PackageNames) == 0:
		return invalid(TypeRunPatch, "package_names", "are required for patch_package")
	}
	for i, n := range m.PackageNames {
		if n == "" {
			return invalid(TypeRunPatch, "package_names["+strconv.Itoa(i)+"]", "is empty")
		}
	}
	return nil
}

func (m RunPatch) MarshalJSON() ([]byte, error) {
	type plain RunPatch
	return marshalWithType(TypeRunPatch, plain(m))
}

// PatchRunStop interrupts a running patch run.
type PatchRunStop struct {
	toAgent
	PatchRunID string `json:"patch_run_id"`
}

func (PatchRunStop) Type() Type { return TypePatchRunStop }

func (m PatchRunStop) Validate() error {
	if m.PatchRunID == "" {
		return invalid(TypePatchRunStop, "patch_run_id", "is required")
	}
	return nil
}

func (m PatchRunStop) MarshalJSON() ([]byte, error) {
	type plain PatchRunStop
	return marshalWithType(TypePatchRunStop, plain(m))
}

// Profile types of ComplianceScan.
const (
	ProfileOpenSCAP    = "openscap"
	ProfileDockerBench = "docker-bench"
	ProfileAll         = "all"
)

// ComplianceScan starts a compliance scan; the agent reports progress with
// ComplianceScanProgress frames and the results over HTTP.
type ComplianceScan struct {
	toAgent
	// ProfileType is ProfileOpenSCAP, ProfileDockerBench or ProfileAll; empty
	// means ProfileAll.
	ProfileType string `json:"profile_type"`
	// ProfileID is the XCCDF profile to evaluate; empty means the default.
	ProfileID            string `json:"profile_id"`
	EnableRemediation    bool   `json:"enable_remediation"`
	FetchRemoteResources bool   `json:"fetch_remote_resources"`
	// OpenSCAPEnabled and DockerBenchEnabled override the host's scanner
	// switches for this scan; nil leaves them as configured.
	OpenSCAPEnabled    *bool `json:"openscap_enabled,omitempty"`
	DockerBenchEnabled *bool `json:"docker_bench_enabled,omitempty"`
}

func (ComplianceScan) Type() Type { return TypeComplianceScan }

func (m ComplianceScan) Validate() error {
	switch m.ProfileType {
	case "", ProfileOpenSCAP, ProfileDockerBench, ProfileAll:
		return nil
	}
	return invalid(TypeComplianceScan, "profile_type", "must be openscap, docker-bench or all")
}

func (m ComplianceScan) MarshalJSON() ([]byte, error) {
	type plain ComplianceScan
	return marshalWithType(TypeComplianceScan, plain(m))
}

// ComplianceScanCancel cancels the running compliance scan.
type ComplianceScanCancel struct{ toAgent }

func (ComplianceScanCancel) Type() Type      { return TypeComplianceScanCancel }
func (ComplianceScanCancel) Validate() error { return nil }
func (m ComplianceScanCancel) MarshalJSON() ([]byte, error) {
	type plain ComplianceScanCancel
	return marshalWithType(TypeComplianceScanCancel, plain(m))
}

// UpgradeSSG asks the agent to install SCAP Security Guide content of Version
// (from GET compliance/ssg-content); empty means the server's current one.
type UpgradeSSG struct {
	toAgent
	Version string `json:"version"`
}

func (UpgradeSSG) Type() Type      { return TypeUpgradeSSG }
func (UpgradeSSG) Validate() error { return nil }
func (m UpgradeSSG) MarshalJSON() ([]byte, error) {
	type plain UpgradeSSG
	return marshalWithType(TypeUpgradeSSG, plain(m))
}

// InstallScanner asks the agent to install the compliance scanners.
type InstallScanner struct{ toAgent }

func (InstallScanner) Type() Type      { return TypeInstallScanner }
func (InstallScanner) Validate() error { return nil }
func (m InstallScanner) MarshalJSON() ([]byte, error) {
	type plain InstallScanner
	return marshalWithType(TypeInstallScanner, plain(m))
}

// RemediateRule asks the agent to remediate one compliance rule.
type RemediateRule struct {
	toAgent
	RuleID string `json:"rule_id"`
}

func (RemediateRule) Type() Type { return TypeRemediateRule }

func (m RemediateRule) Validate() error {
	if m.RuleID == "" {
		return invalid(TypeRemediateRule, "rule_id", "is required")
	}
	return nil
}

func (m RemediateRule) MarshalJSON() ([]byte, error) {
	type plain RemediateRule
	return marshalWithType(TypeRemediateRule, plain(m))
}

// DockerImageScan asks the agent to scan a Docker image, a container's image
// or every image.
type DockerImageScan struct {
	toAgent
	ImageName     string `json:"image_name"`
	ContainerName string `json:"container_name"`
	ScanAllImages bool   `json:"scan_all_images"`
}

func (DockerImageScan) Type() Type { return TypeDockerImageScan }

func (m DockerImageScan) Validate() error {
	if m.ImageName == "" && m.ContainerName == "" && !m.ScanAllImages {
		return invalid(TypeDockerImageScan, "image_name", "or container_name or scan_all_images is required")
	}
	return nil
}

func (m DockerImageScan) MarshalJSON() ([]byte, error) {
	type plain DockerImageScan
	return marshalWithType(TypeDockerImageScan, plain(m))
}

// ApplyConfig pushes integration switches; the agent writes them to
// config.yml and restarts the affected services. The SSH proxy cannot be
// switched on this way (or any other way from the server).
type ApplyConfig struct {
	toAgent
	Config AgentConfig `json:"config"`
}

// AgentConfig is the part of the agent's config.yml the server may set. Nil
// members are left as they are.
type AgentConfig struct {
	Docker     *bool             `json:"docker,omitempty"`
	Compliance *ComplianceConfig `json:"compliance,omitempty"`
}

// ComplianceConfig is the compliance integration's configuration.
type ComplianceConfig struct {
	Enabled            ComplianceMode `json:"enabled"`
	OpenSCAPEnabled    *bool          `json:"openscap_enabled,omitempty"`
	DockerBenchEnabled *bool          `json:"docker_bench_enabled,omitempty"`
}

// ComplianceMode is integrations.compliance: on the wire false, true or the
// string "on-demand", as in config.yml.
type ComplianceMode string

// Compliance modes.
const (
	ComplianceDisabled ComplianceMode = "disabled"  // wire: false
	ComplianceEnabled  ComplianceMode = "enabled"   // wire: true
	ComplianceOnDemand ComplianceMode = "on-demand" // wire: "on-demand"
)

// MarshalJSON writes the config.yml form.
func (c ComplianceMode) MarshalJSON() ([]byte, error) {
	switch c {
	case ComplianceDisabled:
		return []byte("false"), nil
	case ComplianceEnabled:
		return []byte("true"), nil
	case ComplianceOnDemand:
		return []byte(`"on-demand"`), nil
	}
	return nil, fmt.Errorf("unknown compliance mode %q", string(c))
}

// UnmarshalJSON accepts false, true, "on-demand" and, as the installer writes
// them into config.yml, the strings "disabled", "enabled", "false" and "true".
func (c *ComplianceMode) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch v {
	case false, "false", "disabled":
		*c = ComplianceDisabled
	case true, "true", "enabled":
		*c = ComplianceEnabled
	case "on-demand":
		*c = ComplianceOnDemand
	default:
		return fmt.Errorf("compliance mode must be false, true or \"on-demand\"")
	}
	return nil
}

func (ApplyConfig) Type() Type { return TypeApplyConfig }

func (m ApplyConfig) Validate() error {
	if c := m.Config.Compliance; c != nil {
		switch c.Enabled {
		case ComplianceDisabled, ComplianceEnabled, ComplianceOnDemand:
		default:
			return invalid(TypeApplyConfig, "config.compliance.enabled", "must be disabled, enabled or on-demand")
		}
	}
	return nil
}

func (m ApplyConfig) MarshalJSON() ([]byte, error) {
	type plain ApplyConfig
	return marshalWithType(TypeApplyConfig, plain(m))
}

// SSHProxy opens an SSH session from the agent to Host:Port on behalf of a
// browser terminal. Only agents whose own config enables the SSH proxy accept
// it; the others answer SSHProxyError. Authenticate with Password or
// PrivateKey (and Passphrase). Its String and LogValue hide the secrets.
type SSHProxy struct {
	toAgent
	SessionID  string `json:"session_id"`
	Host       string `json:"host"`
	Port       int    `json:"port"`
	Username   string `json:"username"`
	Password   string `json:"password,omitempty"`
	PrivateKey string `json:"private_key,omitempty"`
	Passphrase string `json:"passphrase,omitempty"`
	// Terminal is the TERM to request; empty means xterm-256color.
	Terminal string `json:"terminal"`
	Cols     int    `json:"cols"`
	Rows     int    `json:"rows"`
}

func (SSHProxy) Type() Type { return TypeSSHProxy }

func (m SSHProxy) Validate() error {
	switch {
	case m.SessionID == "":
		return invalid(TypeSSHProxy, "session_id", "is required")
	case m.Port < 0 || m.Port > 65535:
		return invalid(TypeSSHProxy, "port", "must be between 0 and 65535")
	case m.Password == "" && m.PrivateKey == "":
		return invalid(TypeSSHProxy, "password", "or private_key is required")
	case m.Cols < 0 || m.Rows < 0:
		return invalid(TypeSSHProxy, "cols", "and rows must not be negative")
	}
	return nil
}

func (m SSHProxy) MarshalJSON() ([]byte, error) {
	type plain SSHProxy
	return marshalWithType(TypeSSHProxy, plain(m))
}

// String describes the session without its secrets.
func (m SSHProxy) String() string {
	return fmt.Sprintf("ssh_proxy{session_id=%s %s@%s:%d}", m.SessionID, m.Username, m.Host, m.Port)
}

// LogValue logs the session without its secrets.
func (m SSHProxy) LogValue() slog.Value {
	return slog.GroupValue(slog.String("type", string(TypeSSHProxy)), slog.String("session_id", m.SessionID),
		slog.String("host", m.Host), slog.Int("port", m.Port), slog.String("username", m.Username))
}

// SSHProxyInput carries terminal input (keystrokes) to an SSH proxy session.
// Its LogValue logs the length of Data, not Data.
type SSHProxyInput struct {
	toAgent
	SessionID string `json:"session_id"`
	Data      string `json:"data"`
}

func (SSHProxyInput) Type() Type { return TypeSSHProxyInput }

func (m SSHProxyInput) Validate() error {
	if m.SessionID == "" {
		return invalid(TypeSSHProxyInput, "session_id", "is required")
	}
	return nil
}

func (m SSHProxyInput) MarshalJSON() ([]byte, error) {
	type plain SSHProxyInput
	return marshalWithType(TypeSSHProxyInput, plain(m))
}

// LogValue logs the frame without the keystrokes.
func (m SSHProxyInput) LogValue() slog.Value {
	return slog.GroupValue(slog.String("type", string(TypeSSHProxyInput)), slog.String("session_id", m.SessionID),
		slog.Int("data_bytes", len(m.Data)))
}

// SSHProxyResize changes an SSH proxy session's terminal size.
type SSHProxyResize struct {
	toAgent
	SessionID string `json:"session_id"`
	Cols      int    `json:"cols"`
	Rows      int    `json:"rows"`
}

func (SSHProxyResize) Type() Type { return TypeSSHProxyResize }

func (m SSHProxyResize) Validate() error {
	switch {
	case m.SessionID == "":
		return invalid(TypeSSHProxyResize, "session_id", "is required")
	case m.Cols < 0 || m.Rows < 0:
		return invalid(TypeSSHProxyResize, "cols", "and rows must not be negative")
	}
	return nil
}

func (m SSHProxyResize) MarshalJSON() ([]byte, error) {
	type plain SSHProxyResize
	return marshalWithType(TypeSSHProxyResize, plain(m))
}

// SSHProxyDisconnect closes an SSH proxy session.
type SSHProxyDisconnect struct {
	toAgent
	SessionID string `json:"session_id"`
}

func (SSHProxyDisconnect) Type() Type { return TypeSSHProxyDisconnect }

func (m SSHProxyDisconnect) Validate() error {
	if m.SessionID == "" {
		return invalid(TypeSSHProxyDisconnect, "session_id", "is required")
	}
	return nil
}

func (m SSHProxyDisconnect) MarshalJSON() ([]byte, error) {
	type plain SSHProxyDisconnect
	return marshalWithType(TypeSSHProxyDisconnect, plain(m))
}
