package agentproto

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files")

func ptr[T any](v T) *T { return &v }

// sampleReport is a representative full report from a Debian host, in the
// shape the stock agent sends.
func sampleReport() Report {
	boot := time.Date(2026, 7, 27, 6, 0, 0, 0, time.UTC)
	r := Report{
		Packages: []Package{
			{
				Name: "bash", Description: "GNU Bourne Again SHell", Category: "shells",
				CurrentVersion: "5.2.15-2+b2", AvailableVersion: "5.2.15-2+b7", NeedsUpdate: true, IsSecurityUpdate: true,
				SourceRepository: "http://deb.debian.org/debian-security bookworm-security/main",
			},
			{Name: "libxml2", Description: "GNOME XML library <libxml2> & friends", CurrentVersion: "2.9.14+dfsg-1.3~deb12u1"},
			{
				Name: "KB5034441", Category: "Windows Update", CurrentVersion: "pending", NeedsUpdate: true,
				WUAGuid: "6c1f9d0e", WUAKb: "KB5034441", WUASeverity: "Important",
				WUACategories: []string{"Security Updates"}, WUASupportURL: "https://support.example/kb/5034441", WUARevisionNumber: 201,
			},
		},
		Repositories: []Repository{
			{Name: "debian", URL: "http://deb.debian.org/debian", Distribution: "bookworm", Components: "main contrib", RepoType: "deb", IsEnabled: true},
		},
		OSType: "Debian", OSVersion: "12 (bookworm)", Hostname: "web-01.example.org", IP: "192.0.2.10",
		Architecture: "amd64", AgentVersion: "2.0.3", MachineID: "4c4c4544004d3510804bb4c04f4d4433",
		KernelVersion: "6.1.0-18-amd64", InstalledKernelVersion: "6.1.0-21-amd64", SELinuxStatus: "disabled",
		SystemUptime: "3 days, 4 hours", BootTime: &boot, LoadAverage: []float64{0.15, 0.1, 0.05},
		CPUModel: "Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz", CPUCores: 4, RAMInstalled: 7.76, SwapSize: 0.95,
		DiskDetails: []DiskDetail{{Name: "/dev/sda1", Size: "49G", MountPoint: "/"}},
		GatewayIP:   "192.0.2.1", DNSServers: []string{"192.0.2.53"},
		NetworkInterfaces: []NetworkInterface{
			{Name: "eth0", Type: "ethernet", MACAddress: "aa:bb:cc:dd:ee:ff", MTU: 1500, Status: "up", LinkSpeed: 1000, Duplex: "full",
				Addresses: []InterfaceAddress{{Address: "192.0.2.10", Family: "inet", Netmask: "/24", Gateway: "192.0.2.1"}}},
			{Name: "lo", Type: "loopback", MTU: 65536, Status: "up", LinkSpeed: -1,
				Addresses: []InterfaceAddress{{Address: "127.0.0.1", Family: "inet", Netmask: "/8"}}},
		},
		ExecutionTime: 1.84, NeedsReboot: true, RebootReason: "Kernel update pending (6.1.0-21-amd64)", PackageManager: "apt",
		AgentExecutionMs: ptr[int64](1840),
	}
	r.Hashes = &ReportHashes{
		PackagesHash:   PackagesHash(r.Packages),
		ReposHash:      ReposHash(r.Repositories),
		InterfacesHash: InterfacesHash(r.NetworkInterfaces),
		HostnameHash:   HostnameHash(r.Hostname),
	}
	return r
}

func goldenCases() map[string]any {
	partial := Report{
		Repositories: []Repository{}, // a host without repositories
		OSType:       "Debian", OSVersion: "12 (bookworm)", Architecture: "amd64", AgentVersion: "2.0.3",
		MachineID: "4c4c4544004d3510804bb4c04f4d4433", Hostname: "web-01.example.org",
		Sections: []string{SectionRepos, SectionHostname},
		Hashes: &ReportHashes{
			ReposHash:    "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945",
			HostnameHash: "682bfdf3988cee25176aec9247f91a55fd4db77532e1374a9b58896f65a4c8ba",
		},
	}
	full := sampleReport()
	boot := time.Date(2026, 7, 27, 6, 0, 0, 0, time.UTC)
	return map[string]any{
		"report_full":    full,
		"report_partial": partial,
		"ping_request": PingRequest{
			Hashes: PingHashes{
				PackagesHash:   full.Hashes.PackagesHash,
				ReposHash:      full.Hashes.ReposHash,
				InterfacesHash: full.Hashes.InterfacesHash,
				HostnameHash:   full.Hashes.HostnameHash,
			},
			Metrics: PingMetrics{
				CPUCores: ptr(4), CPUModel: ptr("Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz"), RAMInstalled: ptr(7.76),
				DiskDetails: []DiskDetail{{Name: "/dev/sda1", Size: "49G", MountPoint: "/"}}, SystemUptime: ptr("3 days"),
				BootTime: &boot, LoadAverage: []float64{0.15, 0.1, 0.05}, NeedsReboot: ptr(false),
			},
			AgentVersion: "2.0.3", AgentExecutionMs: ptr[int64](412),
		},
		"ping_response": PingResponse{
			Message: PingMessage, Timestamp: "2026-07-27T10:00:00Z", FriendlyName: "web-01", AgentStartup: true,
			HashGate: true, Integrations: Integrations{Docker: true}, RequestFull: []string{SectionPackages, SectionDocker},
		},
		"update_response": UpdateResponse{
			Message: UpdateMessage, PackagesProcessed: 812, UpdatesAvailable: 14, SecurityUpdates: 3,
			AutoUpdate: &AutoUpdate{ShouldUpdate: true, LatestVersion: "2.0.4", CurrentVersion: "2.0.3", Message: "Update available"},
		},
		"integrations_response": IntegrationsResponse{
			Success: true, Integrations: Integrations{Compliance: true}, ComplianceMode: ComplianceModeOnDemand,
			ComplianceOpenSCAPEnabled: ptr(true), ComplianceDockerBenchEnabled: ptr(false),
		},
		"integration_status_request": IntegrationStatusRequest{
			Integration: "compliance", Enabled: true, Status: IntegrationStatusInstalling, Message: "Installing OpenSCAP",
			Components:    map[string]string{"openscap": "installing"},
			ScannerInfo:   json.RawMessage(`{"openscap_available":false,"docker_bench_available":false}`),
			InstallEvents: []InstallEvent{{Step: "apt-get install openscap-scanner", Status: "in_progress", Message: "", Timestamp: "2026-07-27T10:00:00Z"}},
		},
		"agent_version_response": AgentVersionResponse{
			CurrentVersion: "2.0.3", LatestVersion: "2.0.4", HasUpdate: true, DownloadURL: "/api/v1/hosts/agent/download?arch=amd64&os=linux",
			ReleaseNotes: "Fixes", Architecture: "amd64", AgentType: "go",
			Hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		},
		"bootstrap_exchange_request":  BootstrapExchangeRequest{Token: "5f2b"},
		"bootstrap_exchange_response": BootstrapExchangeResponse{APIID: "patchmon_1a2b", APIKey: "k3y"},
		"update_interval_response":    UpdateIntervalResponse{UpdateInterval: 60},
	}
}

// TestGoldenJSON pins the wire encoding of every payload type. Run
// `go test ./pkg/agentproto -run TestGoldenJSON -update` after an intended
// change and review the diff: these bytes are what agents see.
func TestGoldenJSON(t *testing.T) {
	t.Parallel()
	for name, v := range goldenCases() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			wire, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			// The golden file is the wire bytes, indented for review.
			var buf bytes.Buffer
			if err := json.Indent(&buf, wire, "", "  "); err != nil {
				t.Fatal(err)
			}
			buf.WriteByte('\n')
			got := buf.Bytes()
			path := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s; rerun with -update if intended\n got:\n%s", name, path, got)
			}

			// Decoding the wire bytes must give the value back.
			back := reflect.New(reflect.TypeOf(v))
			if err := json.Unmarshal(wire, back.Interface()); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back.Elem().Interface(), v) {
				t.Errorf("decoding %s does not give the value back:\n got %#v\nwant %#v", name, back.Elem().Interface(), v)
			}
		})
	}
}

func TestEmptyPingRequestIsEmptyObject(t *testing.T) {
	t.Parallel()
	if got := marshal(t, PingRequest{}); got != `{}` {
		t.Errorf("empty PingRequest = %s, want {}", got)
	}
}

func TestReportDecodesStockAgentShapes(t *testing.T) {
	t.Parallel()
	// The stock agent always sends "hashes" (possibly {}), sends null for
	// nil slices, and omits sections on full reports.
	const body = `{"packages":[{"name":"bash","currentVersion":"5","needsUpdate":false,"isSecurityUpdate":false}],
		"repositories":null,"osType":"Debian","hostname":"h","loadAverage":null,"diskDetails":null,"dnsServers":null,
		"networkInterfaces":[{"name":"lo","type":"loopback","addresses":null}],"executionTime":0.5,"needsReboot":false,
		"hashes":{},"unknownFutureField":{"x":1}}`
	var r Report
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if r.IsPartial() || r.Hashes == nil || *r.Hashes != (ReportHashes{}) {
		t.Errorf("decoded sections %q hashes %#v", r.Sections, r.Hashes)
	}
	if err := r.Validate(); err != nil {
		t.Errorf("Validate() = %v", err)
	}
}
