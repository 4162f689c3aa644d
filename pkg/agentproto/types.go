package agentproto

import (
	"encoding/json"
	"time"
)

// Request headers that carry an agent's credentials. HTTP header names are
// case-insensitive; use http.Header.Get, which canonicalises them.
const (
	HeaderAPIID  = "X-API-ID"
	HeaderAPIKey = "X-API-KEY"
)

// HeaderAcceptEncoding is the response header by which a server advertises that it
// accepts gzip-compressed request bodies ("gzip"). An agent compresses reports only
// after an authenticated response carried it, so compression never breaks a server
// that does not decode it (stock upstream servers do not send it).
const HeaderAcceptEncoding = "X-PatchMon-Accept-Encoding"

// Section names. They appear in a ping response's requestFull list and, for
// the four report sections, in a partial report's sections list.
const (
	SectionPackages   = "packages"
	SectionRepos      = "repos"
	SectionInterfaces = "interfaces"
	SectionHostname   = "hostname"
	SectionDocker     = "docker"
	SectionCompliance = "compliance"
)

// AllSections returns every section name in the canonical order used for
// requestFull: packages, repos, interfaces, hostname, docker, compliance.
// It returns a new slice on each call.
func AllSections() []string {
	return []string{SectionPackages, SectionRepos, SectionInterfaces, SectionHostname, SectionDocker, SectionCompliance}
}

// ReportSections returns the sections a report (POST hosts/update) can carry,
// in canonical order. Docker and compliance data travel on their own
// endpoints. It returns a new slice on each call.
func ReportSections() []string {
	return []string{SectionPackages, SectionRepos, SectionInterfaces, SectionHostname}
}

// IsSection reports whether name is one of the six section names.
func IsSection(name string) bool {
	switch name {
	case SectionPackages, SectionRepos, SectionInterfaces, SectionHostname, SectionDocker, SectionCompliance:
		return true
	}
	return false
}

// IsReportSection reports whether name may appear in a report's sections list.
func IsReportSection(name string) bool {
	switch name {
	case SectionPackages, SectionRepos, SectionInterfaces, SectionHostname:
		return true
	}
	return false
}

// MaxPackages is the largest number of packages a report may carry.
const MaxPackages = 10000

// Report is the body of POST hosts/update. Without Sections it is a full
// report; with Sections only the named report sections are applied and every
// other field must be ignored (see [Report.Has]).
type Report struct {
	Packages               []Package          `json:"packages"`
	Repositories           []Repository       `json:"repositories"`
	OSType                 string             `json:"osType"`
	OSVersion              string             `json:"osVersion"`
	Hostname               string             `json:"hostname"`
	IP                     string             `json:"ip"`
	Architecture           string             `json:"architecture"`
	AgentVersion           string             `json:"agentVersion"`
	MachineID              string             `json:"machineId"`
	KernelVersion          string             `json:"kernelVersion"`
	InstalledKernelVersion string             `json:"installedKernelVersion,omitempty"`
	SELinuxStatus          string             `json:"selinuxStatus"`
	SystemUptime           string             `json:"systemUptime"`
	BootTime               *time.Time         `json:"bootTime,omitempty"`
	LoadAverage            []float64          `json:"loadAverage"`
	CPUModel               string             `json:"cpuModel"`
	CPUCores               int                `json:"cpuCores"`
	RAMInstalled           float64            `json:"ramInstalled"` // GB
	SwapSize               float64            `json:"swapSize"`     // GB
	DiskDetails            []DiskDetail       `json:"diskDetails"`
	GatewayIP              string             `json:"gatewayIp"`
	DNSServers             []string           `json:"dnsServers"`
	NetworkInterfaces      []NetworkInterface `json:"networkInterfaces"`
	ExecutionTime          float64            `json:"executionTime"` // seconds spent collecting
	NeedsReboot            bool               `json:"needsReboot"`
	RebootReason           string             `json:"rebootReason,omitempty"`
	PackageManager         string             `json:"packageManager,omitempty"`
	// Sections, when non-empty, makes this a partial report. An empty list
	// is the same as none: the stock agent omits it for full reports.
	Sections []string `json:"sections,omitempty"`
	// Hashes are the agent's canonical hashes of the sections it sent. The
	// stock agent always sends the object, possibly empty.
	Hashes *ReportHashes `json:"hashes,omitempty"`
	// AgentExecutionMs is the agent's wall-clock collection time.
	AgentExecutionMs *int64 `json:"agentExecutionMs,omitempty"`
}

// ReportHashes carries the canonical hashes of a report's sections; an empty
// string means the agent did not send one.
type ReportHashes struct {
	PackagesHash   string `json:"packagesHash,omitempty"`
	ReposHash      string `json:"reposHash,omitempty"`
	InterfacesHash string `json:"interfacesHash,omitempty"`
	HostnameHash   string `json:"hostnameHash,omitempty"`
}

// Package is one installed package, or one Windows Update entry (the wua*
// fields are set only for those).
type Package struct {
	Name              string   `json:"name"`
	Description       string   `json:"description,omitempty"`
	Category          string   `json:"category,omitempty"`
	CurrentVersion    string   `json:"currentVersion"`
	AvailableVersion  string   `json:"availableVersion,omitempty"`
	NeedsUpdate       bool     `json:"needsUpdate"`
	IsSecurityUpdate  bool     `json:"isSecurityUpdate"`
	SourceRepository  string   `json:"sourceRepository,omitempty"`
	WUAGuid           string   `json:"wuaGuid,omitempty"`
	WUAKb             string   `json:"wuaKb,omitempty"`
	WUASeverity       string   `json:"wuaSeverity,omitempty"`
	WUACategories     []string `json:"wuaCategories,omitempty"`
	WUASupportURL     string   `json:"wuaSupportUrl,omitempty"`
	WUARevisionNumber int32    `json:"wuaRevisionNumber,omitempty"`
}

// Repository is one configured package repository.
type Repository struct {
	Name         string `json:"name"`
	URL          string `json:"url"`
	Distribution string `json:"distribution"`
	Components   string `json:"components"`
	RepoType     string `json:"repoType"`
	IsEnabled    bool   `json:"isEnabled"`
	IsSecure     bool   `json:"isSecure"`
}

// NetworkInterface is one network interface with its addresses.
type NetworkInterface struct {
	Name       string             `json:"name"`
	Type       string             `json:"type"`
	MACAddress string             `json:"macAddress,omitempty"`
	MTU        int                `json:"mtu,omitempty"`
	Status     string             `json:"status,omitempty"`    // "up" or "down"
	LinkSpeed  int                `json:"linkSpeed,omitempty"` // Mbit/s, -1 when unknown
	Duplex     string             `json:"duplex,omitempty"`    // "full", "half" or ""
	Addresses  []InterfaceAddress `json:"addresses"`
}

// InterfaceAddress is one IP address bound to an interface.
type InterfaceAddress struct {
	Address string `json:"address"`
	Family  string `json:"family"` // "inet" or "inet6"
	Netmask string `json:"netmask,omitempty"`
	Gateway string `json:"gateway,omitempty"`
}

// DiskDetail is one mounted filesystem.
type DiskDetail struct {
	Name       string `json:"name"`
	Size       string `json:"size"`
	MountPoint string `json:"mountpoint"`
}

// PingRequest is the body of POST hosts/ping. An empty body is a legacy
// heartbeat; a body is a hash-gated check-in.
type PingRequest struct {
	Hashes           PingHashes  `json:"hashes,omitzero"`
	Metrics          PingMetrics `json:"metrics,omitzero"`
	AgentVersion     string      `json:"agentVersion,omitempty"`
	AgentExecutionMs *int64      `json:"agentExecutionMs,omitempty"`
}

// PingHashes are the agent's current canonical section hashes (SHA-256,
// lower-case hex). An empty string means the agent has nothing to hash for
// that section, e.g. no docker data cached yet.
type PingHashes struct {
	PackagesHash   string `json:"packagesHash,omitempty"`
	ReposHash      string `json:"reposHash,omitempty"`
	InterfacesHash string `json:"interfacesHash,omitempty"`
	HostnameHash   string `json:"hostnameHash,omitempty"`
	DockerHash     string `json:"dockerHash,omitempty"`
	ComplianceHash string `json:"complianceHash,omitempty"`
}

// Get returns the hash of the named section, or "" for an unknown name.
func (h PingHashes) Get(section string) string {
	switch section {
	case SectionPackages:
		return h.PackagesHash
	case SectionRepos:
		return h.ReposHash
	case SectionInterfaces:
		return h.InterfacesHash
	case SectionHostname:
		return h.HostnameHash
	case SectionDocker:
		return h.DockerHash
	case SectionCompliance:
		return h.ComplianceHash
	}
	return ""
}

// PingMetrics are volatile host metrics sent with every check-in. A nil
// pointer means "not collected", so the server keeps the previous value.
type PingMetrics struct {
	CPUCores     *int         `json:"cpuCores,omitempty"`
	CPUModel     *string      `json:"cpuModel,omitempty"`
	RAMInstalled *float64     `json:"ramInstalled,omitempty"` // GB
	SwapSize     *float64     `json:"swapSize,omitempty"`     // GB
	DiskDetails  []DiskDetail `json:"diskDetails,omitempty"`
	SystemUptime *string      `json:"systemUptime,omitempty"`
	BootTime     *time.Time   `json:"bootTime,omitempty"`
	LoadAverage  []float64    `json:"loadAverage,omitempty"`
	NeedsReboot  *bool        `json:"needsReboot,omitempty"`
	RebootReason *string      `json:"rebootReason,omitempty"`
}

// PingMessage is the Message of a successful ping.
const PingMessage = "Ping successful"

// PingResponse is the 200 answer to POST hosts/ping.
type PingResponse struct {
	Message      string `json:"message"`
	Timestamp    string `json:"timestamp"` // RFC 3339
	FriendlyName string `json:"friendlyName"`
	AgentStartup bool   `json:"agentStartup"`
	// HashGate must be true for a hash-gating agent to trust an empty
	// RequestFull; without it the agent sends a full report every tick.
	HashGate     bool         `json:"hashGate"`
	Integrations Integrations `json:"integrations"`
	// RequestFull lists the stale sections the agent must send, in
	// canonical section order (see [StaleSections]).
	RequestFull []string `json:"requestFull,omitempty"`
}

// Integrations are the server-side integration switches for a host.
type Integrations struct {
	Docker     bool `json:"docker"`
	Compliance bool `json:"compliance"`
}

// UpdateMessage is the Message of a successfully ingested report.
const UpdateMessage = "Host updated successfully"

// UpdateResponse is the 200 answer to POST hosts/update.
type UpdateResponse struct {
	Message           string      `json:"message"`
	PackagesProcessed int         `json:"packagesProcessed"`
	UpdatesAvailable  int         `json:"updatesAvailable"`
	SecurityUpdates   int         `json:"securityUpdates"`
	AutoUpdate        *AutoUpdate `json:"autoUpdate,omitempty"`
}

// AutoUpdate tells the agent whether it should update itself.
type AutoUpdate struct {
	ShouldUpdate   bool   `json:"shouldUpdate"`
	LatestVersion  string `json:"latestVersion"`
	CurrentVersion string `json:"currentVersion"`
	Message        string `json:"message"`
}

// UpdateIntervalResponse is the answer to GET settings/update-interval.
type UpdateIntervalResponse struct {
	UpdateInterval int `json:"updateInterval"` // minutes
}

// Compliance modes sent in [IntegrationsResponse.ComplianceMode].
const (
	ComplianceModeDisabled = "disabled"
	ComplianceModeOnDemand = "on-demand"
	ComplianceModeEnabled  = "enabled"
)

// IntegrationsResponse is the answer to GET hosts/integrations. The agent
// treats it as authoritative for which integrations run.
type IntegrationsResponse struct {
	Success                      bool         `json:"success"`
	Integrations                 Integrations `json:"integrations"`
	ComplianceMode               string       `json:"compliance_mode,omitempty"`
	ComplianceOpenSCAPEnabled    *bool        `json:"compliance_openscap_enabled,omitempty"`
	ComplianceDockerBenchEnabled *bool        `json:"compliance_docker_bench_enabled,omitempty"`
}

// Integration setup states sent in [IntegrationStatusRequest.Status].
const (
	IntegrationStatusReady      = "ready"
	IntegrationStatusInstalling = "installing"
	IntegrationStatusRemoving   = "removing"
	IntegrationStatusError      = "error"
)

// IntegrationStatusRequest is the body of POST hosts/integration-status.
type IntegrationStatusRequest struct {
	Integration string            `json:"integration"`
	Enabled     bool              `json:"enabled"`
	Status      string            `json:"status"`
	Message     string            `json:"message"`
	Components  map[string]string `json:"components,omitempty"` // component name -> status
	// ScannerInfo is the agent's scanner description (OpenSCAP, SSG content,
	// Docker Bench, profiles). It is kept raw: the server stores and shows
	// it without interpreting it.
	ScannerInfo   json.RawMessage `json:"scanner_info,omitempty"`
	InstallEvents []InstallEvent  `json:"install_events,omitempty"`
}

// InstallEvent is one notable step of an integration's installation.
type InstallEvent struct {
	Step      string `json:"step"`
	Status    string `json:"status"` // in_progress, done, failed, skipped
	Message   string `json:"message"`
	Timestamp string `json:"timestamp"`
}

// AgentVersionResponse is the answer to GET hosts/agent/version.
type AgentVersionResponse struct {
	CurrentVersion           string `json:"currentVersion"`
	LatestVersion            string `json:"latestVersion"`
	HasUpdate                bool   `json:"hasUpdate"`
	AutoUpdateDisabled       bool   `json:"autoUpdateDisabled"`
	AutoUpdateDisabledReason string `json:"autoUpdateDisabledReason"`
	DownloadURL              string `json:"downloadUrl"`
	ReleaseNotes             string `json:"releaseNotes"`
	Architecture             string `json:"architecture"`
	AgentType                string `json:"agentType"` // "go"
	// Hash is the SHA-256 (lower-case hex) of the binary served by
	// hosts/agent/download; the agent refuses to update without it.
	Hash string `json:"hash"`
}

// BootstrapExchangeRequest is the body of POST hosts/bootstrap/exchange.
type BootstrapExchangeRequest struct {
	Token string `json:"token"`
}

// BootstrapExchangeResponse carries the credentials a bootstrap token buys.
type BootstrapExchangeResponse struct {
	APIID  string `json:"apiId"`
	APIKey string `json:"apiKey"`
}

// DockerData is the part of the POST integrations/docker body that the
// docker section hash covers. Its JSON names are the agent's (snake_case),
// so the request body decodes straight into it; fields the hash ignores
// (ports, labels, timestamps, ...) are not modelled here.
type DockerData struct {
	Containers []DockerContainer   `json:"containers"`
	Images     []DockerImage       `json:"images"`
	Volumes    []DockerVolume      `json:"volumes"`
	Networks   []DockerNetwork     `json:"networks"`
	Updates    []DockerImageUpdate `json:"updates"`
}

// DockerContainer is one container.
type DockerContainer struct {
	ContainerID     string `json:"container_id"`
	Name            string `json:"name"`
	ImageRepository string `json:"image_repository"`
	ImageTag        string `json:"image_tag"`
	ImageID         string `json:"image_id"`
	Status          string `json:"status"`
	State           string `json:"state"`
}

// DockerImage is one local image.
type DockerImage struct {
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
	ImageID    string `json:"image_id"`
	Digest     string `json:"digest,omitempty"`
	SizeBytes  int64  `json:"size_bytes"`
}

// DockerVolume is one volume.
type DockerVolume struct {
	VolumeID string `json:"volume_id"`
	Name     string `json:"name"`
	Driver   string `json:"driver"`
	Scope    string `json:"scope"`
}

// DockerNetwork is one network.
type DockerNetwork struct {
	NetworkID string `json:"network_id"`
	Name      string `json:"name"`
	Driver    string `json:"driver"`
	Scope     string `json:"scope"`
}

// DockerImageUpdate is an available update for a local image.
type DockerImageUpdate struct {
	Repository      string `json:"repository"`
	CurrentTag      string `json:"current_tag"`
	AvailableTag    string `json:"available_tag"`
	CurrentDigest   string `json:"current_digest"`
	AvailableDigest string `json:"available_digest"`
	ImageID         string `json:"image_id"`
}
