package wsproto

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files")

func ptr[T any](v T) *T { return &v }

// goldenCases has one representative frame of every type, named after the
// golden file holding its wire form.
func goldenCases() map[string]Message {
	ts := time.Date(2026, 7, 27, 14, 3, 9, 0, time.UTC)
	return map[string]Message{
		"settings_update":            SettingsUpdate{UpdateInterval: 60, ComplianceScanInterval: 1440, PackageCacheRefreshMode: "if_stale", PackageCacheRefreshMaxAge: 120},
		"settings_update_minimal":    SettingsUpdate{UpdateInterval: 15},
		"report_now":                 ReportNow{},
		"update_agent":               UpdateAgent{},
		"refresh_integration_status": RefreshIntegrationStatus{},
		"docker_inventory_refresh":   DockerInventoryRefresh{},
		"run_patch":                  RunPatch{PatchRunID: "7d3c1f0e-5b1a-4c8e-9f55-2f1d0b6a9e11", PatchType: PatchPackage, PackageNames: []string{"openssl", "libssl3"}, DryRun: true},
		"run_patch_all":              RunPatch{PatchRunID: "0b8f3a52-1e4c-4f7a-8d2b-6c9e0a1d3f44", PatchType: PatchAll},
		"patch_run_stop":             PatchRunStop{PatchRunID: "7d3c1f0e-5b1a-4c8e-9f55-2f1d0b6a9e11"},
		"compliance_scan": ComplianceScan{ProfileType: ProfileOpenSCAP, ProfileID: "xccdf_org.ssgproject.content_profile_cis_level1_server",
			EnableRemediation: false, FetchRemoteResources: true, OpenSCAPEnabled: ptr(true), DockerBenchEnabled: ptr(false)},
		"compliance_scan_cancel": ComplianceScanCancel{},
		"upgrade_ssg":            UpgradeSSG{Version: "0.1.76"},
		"install_scanner":        InstallScanner{},
		"remediate_rule":         RemediateRule{RuleID: "xccdf_org.ssgproject.content_rule_sshd_disable_root_login"},
		"docker_image_scan":      DockerImageScan{ImageName: "nginx:1.27", ContainerName: "web"},
		"apply_config": ApplyConfig{Config: AgentConfig{Docker: ptr(true),
			Compliance: &ComplianceConfig{Enabled: ComplianceOnDemand, OpenSCAPEnabled: ptr(true), DockerBenchEnabled: ptr(false)}}},
		"ssh_proxy": SSHProxy{SessionID: "c0ffee42", Host: "localhost", Port: 22, Username: "admin",
			PrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n", Passphrase: "s3cret",
			Terminal: "xterm-256color", Cols: 120, Rows: 40},
		"ssh_proxy_input":      SSHProxyInput{SessionID: "c0ffee42", Data: "ls -la\r"},
		"ssh_proxy_resize":     SSHProxyResize{SessionID: "c0ffee42", Cols: 160, Rows: 48},
		"ssh_proxy_disconnect": SSHProxyDisconnect{SessionID: "c0ffee42"},
		"docker_status": NewDockerStatus(DockerEvent{Type: "container_start", ContainerID: "3f4e5d6c7b8a", Name: "web",
			Image: "nginx:1.27", Status: "running", Timestamp: ts}),
		"compliance_scan_progress": ComplianceScanProgress{Phase: PhaseEvaluating, ProfileName: "CIS Level 1 Server",
			Message: "Evaluating rules <sshd> & <auditd>", Progress: 42.5, Timestamp: ts},
		"ssh_proxy_connected": SSHProxyConnected{SessionID: "c0ffee42"},
		"ssh_proxy_data":      SSHProxyData{SessionID: "c0ffee42", Data: "total 4\r\ndrwx------ 2 admin admin 4096 .\r\n\x1b[0m"},
		"ssh_proxy_closed":    SSHProxyClosed{SessionID: "c0ffee42"},
		"ssh_proxy_error":     NewSSHProxyError("c0ffee42", "SSH proxy is not enabled."),
	}
}

// TestGolden pins the wire form of every frame type and checks that decoding
// the golden bytes gives back the same message.
func TestGolden(t *testing.T) {
	cases := goldenCases()
	seen := map[Type]bool{}
	for name, msg := range cases {
		seen[msg.Type()] = true
		t.Run(name, func(t *testing.T) {
			got, err := Encode(msg)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			path := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			want = bytes.TrimSuffix(want, []byte("\n"))
			if !bytes.Equal(got, want) {
				t.Fatalf("wire form changed:\n got %s\nwant %s", got, want)
			}
			dec := Decoder{Direction: msg.Direction(), DisallowUnknownFields: true}
			back, err := dec.Decode(want)
			if err != nil {
				t.Fatalf("Decode(golden): %v", err)
			}
			// Decode returns pointers; compare with the value we encoded.
			if v := reflect.ValueOf(back).Elem().Interface(); !reflect.DeepEqual(v, msg) {
				t.Fatalf("round trip:\n got %#v\nwant %#v", v, msg)
			}
		})
	}
	for _, d := range []Direction{ServerToAgent, AgentToServer} {
		for _, typ := range Types(d) {
			if !seen[typ] {
				t.Errorf("frame type %s has no golden case", typ)
			}
		}
	}
}
