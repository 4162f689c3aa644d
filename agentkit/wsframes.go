package agentkit

import (
	"errors"

	"github.com/patchmon-go/patchmon/pkg/wsproto"
)

// This file is the only place that knows the WebSocket frame layout: it maps
// the frames of pkg/wsproto (shared with the server's agent hub) onto the few
// fields the agent acts on, so the rest of the agent does not depend on the
// frame structs.

// Frame types the agent handles.
const (
	wsReportNow          = string(wsproto.TypeReportNow)
	wsSettingsUpdate     = string(wsproto.TypeSettingsUpdate)
	wsApplyConfig        = string(wsproto.TypeApplyConfig)
	wsUpdateAgent        = string(wsproto.TypeUpdateAgent)
	wsRefreshIntegration = string(wsproto.TypeRefreshIntegrationStatus)
	wsRunPatch           = string(wsproto.TypeRunPatch)
	wsSSHProxy           = string(wsproto.TypeSSHProxy)
)

// wsMaxFrame is the largest frame the agent reads.
const wsMaxFrame = wsproto.MaxFrameSize

// wsInbound is what the agent needs from a server frame.
type wsInbound struct {
	Type string

	// settings_update; nil or "" when the frame leaves a value unchanged.
	UpdateInterval            *int
	PackageCacheRefreshMode   string
	PackageCacheRefreshMaxAge *int

	// apply_config
	Config *wsAgentConfig

	// run_patch
	PatchRunID string

	// ssh_proxy
	SessionID string
}

type wsAgentConfig struct {
	Docker     *bool
	Compliance *wsComplianceConfig
}

type wsComplianceConfig struct {
	// Mode is "disabled", "on-demand" or "enabled".
	Mode        string
	OpenSCAP    *bool
	DockerBench *bool
}

// parseFrame decodes a server frame. Unknown types come back with only Type
// set, so the agent can log them: a newer server may send frames this agent
// does not know.
func parseFrame(data []byte) (*wsInbound, error) {
	m, err := wsproto.DecodeFromServer(data)
	if err != nil {
		var ute *wsproto.UnknownTypeError
		if errors.As(err, &ute) && ute.Type != "" {
			return &wsInbound{Type: ute.Type}, nil
		}
		return nil, err
	}
	f := &wsInbound{Type: string(m.Type())}
	switch m := m.(type) {
	case *wsproto.SettingsUpdate:
		if m.UpdateInterval > 0 {
			f.UpdateInterval = &m.UpdateInterval
		}
		f.PackageCacheRefreshMode = m.PackageCacheRefreshMode
		if m.PackageCacheRefreshMaxAge > 0 {
			f.PackageCacheRefreshMaxAge = &m.PackageCacheRefreshMaxAge
		}
	case *wsproto.ApplyConfig:
		f.Config = &wsAgentConfig{Docker: m.Config.Docker}
		if c := m.Config.Compliance; c != nil {
			f.Config.Compliance = &wsComplianceConfig{Mode: string(c.Enabled), OpenSCAP: c.OpenSCAPEnabled, DockerBench: c.DockerBenchEnabled}
		}
	case *wsproto.RunPatch:
		f.PatchRunID = m.PatchRunID
	case *wsproto.SSHProxy:
		f.SessionID = m.SessionID
	}
	return f, nil
}

// sshProxyErrorFrame is the agent's answer to an ssh_proxy request it does
// not serve.
func sshProxyErrorFrame(sessionID, message string) ([]byte, error) {
	return wsproto.Encode(wsproto.NewSSHProxyError(sessionID, message))
}
