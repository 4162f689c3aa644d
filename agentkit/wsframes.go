package agentkit

import (
	"encoding/json"
	"errors"
	"strings"
)

// This file is the only place that knows the layout of WebSocket frames
// (spec/agent-protocol.md, "Agent WebSocket"). When the shared package
// pkg/wsproto exists, these types become aliases of its types and this file
// is the only one that changes.

// Message types the agent handles or answers.
const (
	wsReportNow          = "report_now"
	wsSettingsUpdate     = "settings_update"
	wsApplyConfig        = "apply_config"
	wsUpdateAgent        = "update_agent"
	wsRefreshIntegration = "refresh_integration_status"
	wsRunPatch           = "run_patch"
	wsSSHProxy           = "ssh_proxy"
	wsSSHProxyError      = "ssh_proxy_error"
)

// wsMaxFrame is the largest frame the agent accepts (the server's limit for
// agent frames).
const wsMaxFrame = 64 << 10

// wsInbound is a server-to-agent frame; only the fields of the handled types
// are modelled.
type wsInbound struct {
	Type string `json:"type"`

	// settings_update
	UpdateInterval            *int   `json:"update_interval,omitempty"`
	ComplianceScanInterval    *int   `json:"compliance_scan_interval,omitempty"`
	PackageCacheRefreshMode   string `json:"package_cache_refresh_mode,omitempty"`
	PackageCacheRefreshMaxAge *int   `json:"package_cache_refresh_max_age,omitempty"`

	// apply_config
	Config *wsAgentConfig `json:"config,omitempty"`

	// run_patch
	PatchRunID string `json:"patch_run_id,omitempty"`

	// ssh_proxy
	SessionID string `json:"session_id,omitempty"`
}

type wsAgentConfig struct {
	Docker     *bool               `json:"docker,omitempty"`
	Compliance *wsComplianceConfig `json:"compliance,omitempty"`
}

// wsComplianceConfig.Enabled is a boolean or the string "on-demand".
type wsComplianceConfig struct {
	Enabled            json.RawMessage `json:"enabled,omitempty"`
	OpenSCAPEnabled    *bool           `json:"openscap_enabled,omitempty"`
	DockerBenchEnabled *bool           `json:"docker_bench_enabled,omitempty"`
}

// mode returns the compliance mode the frame sets, or "" when it sets none.
func (c *wsComplianceConfig) mode() string {
	raw := strings.TrimSpace(string(c.Enabled))
	switch raw {
	case "true":
		return "enabled"
	case "false":
		return "disabled"
	}
	var s string
	if json.Unmarshal(c.Enabled, &s) == nil {
		switch strings.ToLower(s) {
		case "on-demand", "on_demand", "ondemand":
			return "on-demand"
		case "true", "enabled":
			return "enabled"
		case "false", "disabled":
			return "disabled"
		}
	}
	return ""
}

// wsSSHProxyReply is the agent's answer to an ssh_proxy request it does not
// serve.
type wsSSHProxyReply struct {
	Type      string `json:"type"`
	SessionID string `json:"session_id"`
	Message   string `json:"message"`
}

var errFrame = errors.New("not a JSON object with a type")

// parseFrame decodes a server frame.
func parseFrame(data []byte) (*wsInbound, error) {
	var f wsInbound
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, errFrame
	}
	if f.Type == "" {
		return nil, errFrame
	}
	return &f, nil
}
