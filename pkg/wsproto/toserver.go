package wsproto

import (
	"log/slog"
	"time"
)

// Agent → server frame types.
const (
	TypeDockerStatus           Type = "docker_status"
	TypeComplianceScanProgress Type = "compliance_scan_progress"
	TypeSSHProxyConnected      Type = "ssh_proxy_connected"
	TypeSSHProxyData           Type = "ssh_proxy_data"
	TypeSSHProxyClosed         Type = "ssh_proxy_closed"
	TypeSSHProxyError          Type = "ssh_proxy_error"
)

// toServer is embedded in every agent → server frame.
type toServer struct{}

func (toServer) Direction() Direction { return AgentToServer }
func (toServer) sealed()              {}

// DockerStatus reports a container state change as it happens. The stock agent
// repeats the event's container_id, name, status and timestamp at the top
// level.
type DockerStatus struct {
	toServer
	Event       *DockerEvent `json:"event,omitempty"`
	ContainerID string       `json:"container_id"`
	Name        string       `json:"name"`
	Status      string       `json:"status"`
	Timestamp   time.Time    `json:"timestamp,omitzero"`
}

// DockerEvent is one Docker engine event.
type DockerEvent struct {
	// Type is container_start, container_stop, container_die,
	// container_pause or container_unpause.
	Type        string    `json:"type"`
	ContainerID string    `json:"container_id"`
	Name        string    `json:"name"`
	Image       string    `json:"image"`
	Status      string    `json:"status"`
	Timestamp   time.Time `json:"timestamp,omitzero"`
}

// NewDockerStatus returns the frame for ev in the stock agent's shape.
func NewDockerStatus(ev DockerEvent) DockerStatus {
	return DockerStatus{Event: &ev, ContainerID: ev.ContainerID, Name: ev.Name, Status: ev.Status, Timestamp: ev.Timestamp}
}

func (DockerStatus) Type() Type      { return TypeDockerStatus }
func (DockerStatus) Validate() error { return nil }
func (m DockerStatus) MarshalJSON() ([]byte, error) {
	type plain DockerStatus
	return marshalWithType(TypeDockerStatus, plain(m))
}

// Compliance scan phases the stock agent reports.
const (
	PhaseStarted    = "started"
	PhaseEvaluating = "evaluating"
	PhaseParsing    = "parsing"
	PhaseCompleted  = "completed"
	PhaseFailed     = "failed"
)

// ComplianceScanProgress reports how far a compliance scan has got.
type ComplianceScanProgress struct {
	toServer
	Phase       string `json:"phase"`
	ProfileName string `json:"profile_name"`
	Message     string `json:"message"`
	// Progress is an approximate percentage, 0–100.
	Progress  float64   `json:"progress"`
	Error     string    `json:"error,omitempty"`
	Timestamp time.Time `json:"timestamp,omitzero"`
}

func (ComplianceScanProgress) Type() Type      { return TypeComplianceScanProgress }
func (ComplianceScanProgress) Validate() error { return nil }
func (m ComplianceScanProgress) MarshalJSON() ([]byte, error) {
	type plain ComplianceScanProgress
	return marshalWithType(TypeComplianceScanProgress, plain(m))
}

// SSHProxyConnected reports that an SSH proxy session is established.
type SSHProxyConnected struct {
	toServer
	SessionID string `json:"session_id"`
}

func (SSHProxyConnected) Type() Type { return TypeSSHProxyConnected }

func (m SSHProxyConnected) Validate() error {
	if m.SessionID == "" {
		return invalid(TypeSSHProxyConnected, "session_id", "is required")
	}
	return nil
}

func (m SSHProxyConnected) MarshalJSON() ([]byte, error) {
	type plain SSHProxyConnected
	return marshalWithType(TypeSSHProxyConnected, plain(m))
}

// SSHProxyData carries terminal output of an SSH proxy session. Its LogValue
// logs the length of Data, not Data.
type SSHProxyData struct {
	toServer
	SessionID string `json:"session_id"`
	Data      string `json:"data"`
}

func (SSHProxyData) Type() Type { return TypeSSHProxyData }

func (m SSHProxyData) Validate() error {
	if m.SessionID == "" {
		return invalid(TypeSSHProxyData, "session_id", "is required")
	}
	return nil
}

func (m SSHProxyData) MarshalJSON() ([]byte, error) {
	type plain SSHProxyData
	return marshalWithType(TypeSSHProxyData, plain(m))
}

// LogValue logs the frame without the terminal output.
func (m SSHProxyData) LogValue() slog.Value {
	return slog.GroupValue(slog.String("type", string(TypeSSHProxyData)), slog.String("session_id", m.SessionID),
		slog.Int("data_bytes", len(m.Data)))
}

// SSHProxyClosed reports that an SSH proxy session has ended.
type SSHProxyClosed struct {
	toServer
	SessionID string `json:"session_id"`
}

func (SSHProxyClosed) Type() Type { return TypeSSHProxyClosed }

func (m SSHProxyClosed) Validate() error {
	if m.SessionID == "" {
		return invalid(TypeSSHProxyClosed, "session_id", "is required")
	}
	return nil
}

func (m SSHProxyClosed) MarshalJSON() ([]byte, error) {
	type plain SSHProxyClosed
	return marshalWithType(TypeSSHProxyClosed, plain(m))
}

// SSHProxyError reports why an SSH proxy session failed. The stock agent puts
// the same text in Data and Message; NewSSHProxyError does too.
type SSHProxyError struct {
	toServer
	SessionID string `json:"session_id"`
	Data      string `json:"data,omitempty"`
	Message   string `json:"message,omitempty"`
}

// NewSSHProxyError returns the frame in the stock agent's shape.
func NewSSHProxyError(sessionID, message string) SSHProxyError {
	return SSHProxyError{SessionID: sessionID, Data: message, Message: message}
}

func (SSHProxyError) Type() Type { return TypeSSHProxyError }

func (m SSHProxyError) Validate() error {
	if m.SessionID == "" {
		return invalid(TypeSSHProxyError, "session_id", "is required")
	}
	return nil
}

func (m SSHProxyError) MarshalJSON() ([]byte, error) {
	type plain SSHProxyError
	return marshalWithType(TypeSSHProxyError, plain(m))
}

// Text returns the error message, from Message or else Data.
func (m SSHProxyError) Text() string {
	if m.Message != "" {
		return m.Message
	}
	return m.Data
}
