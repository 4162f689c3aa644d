package wsproto

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	big := `{"type":"ssh_proxy_data","session_id":"s","data":"` + strings.Repeat("x", MaxFrameSize) + `"}`
	tests := []struct {
		name  string
		dir   Direction
		frame string
		want  error
		msg   string // substring of the error
	}{
		{"too large", AgentToServer, big, ErrFrameTooLarge, "limit 65536"},
		{"empty", AgentToServer, ``, ErrMalformed, "not a JSON object"},
		{"array", AgentToServer, `[{"type":"docker_status"}]`, ErrMalformed, "not a JSON object"},
		{"null", AgentToServer, `null`, ErrMalformed, "not a JSON object"},
		{"string", AgentToServer, `"docker_status"`, ErrMalformed, "not a JSON object"},
		{"truncated", AgentToServer, `{"type":"docker_status"`, ErrMalformed, "invalid JSON"},
		{"trailing data", AgentToServer, `{"type":"docker_status"} {}`, ErrMalformed, "invalid JSON"},
		{"no type", AgentToServer, `{"session_id":"x"}`, ErrMalformed, `no "type"`},
		{"type not string", AgentToServer, `{"type":7}`, ErrMalformed, "not a string"},
		{"type null", AgentToServer, `{"type":null}`, ErrMalformed, "empty"},
		{"empty type", AgentToServer, `{"type":""}`, ErrMalformed, "empty"},
		{"unknown type", AgentToServer, `{"type":"rdp_proxy_data","session_id":"x"}`, ErrUnknownType, `"rdp_proxy_data"`},
		{"wrong direction to server", AgentToServer, `{"type":"report_now"}`, ErrUnknownType, "agent-to-server"},
		{"wrong direction to agent", ServerToAgent, `{"type":"docker_status"}`, ErrUnknownType, "server-to-agent"},
		{"field wrong type", ServerToAgent, `{"type":"settings_update","update_interval":"60"}`, ErrMalformed, `"update_interval"`},
		{"nested wrong type", ServerToAgent, `{"type":"apply_config","config":{"docker":"yes"}}`, ErrMalformed, "docker"},
		{"bad compliance mode", ServerToAgent, `{"type":"apply_config","config":{"compliance":{"enabled":"sometimes"}}}`, ErrMalformed, "compliance mode"},
		{"bad timestamp", AgentToServer, `{"type":"docker_status","timestamp":"yesterday"}`, ErrMalformed, "docker_status"},
		{"missing session", AgentToServer, `{"type":"ssh_proxy_data","data":"x"}`, ErrInvalid, "session_id is required"},
		{"run_patch without id", ServerToAgent, `{"type":"run_patch","patch_type":"patch_all"}`, ErrInvalid, "patch_run_id"},
		{"run_patch bad type", ServerToAgent, `{"type":"run_patch","patch_run_id":"1","patch_type":"patch_some"}`, ErrInvalid, "patch_type"},
		{"run_patch package without names", ServerToAgent, `{"type":"run_patch","patch_run_id":"1","patch_type":"patch_package"}`, ErrInvalid, "package_names"},
		{"negative interval", ServerToAgent, `{"type":"settings_update","update_interval":-5}`, ErrInvalid, "update_interval"},
		{"compliance bad profile", ServerToAgent, `{"type":"compliance_scan","profile_type":"nessus"}`, ErrInvalid, "profile_type"},
		{"ssh_proxy no auth", ServerToAgent, `{"type":"ssh_proxy","session_id":"s","host":"localhost","port":22}`, ErrInvalid, "password"},
		{"ssh_proxy bad port", ServerToAgent, `{"type":"ssh_proxy","session_id":"s","port":70000,"password":"p"}`, ErrInvalid, "port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := Decoder{Direction: tt.dir}.Decode([]byte(tt.frame))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Decode = %v, %v; want %v", m, err, tt.want)
			}
			if m != nil {
				t.Fatalf("Decode returned a message with an error: %#v", m)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %q does not mention %q", err, tt.msg)
			}
			for _, other := range []error{ErrFrameTooLarge, ErrMalformed, ErrInvalid, ErrUnknownType} {
				if other != tt.want && errors.Is(err, other) {
					t.Fatalf("error %v also matches %v", err, other)
				}
			}
		})
	}
}

func TestUnknownTypeError(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("z", 500)
	_, err := DecodeFromAgent([]byte(`{"type":"` + long + `"}`))
	var ute *UnknownTypeError
	if !errors.As(err, &ute) {
		t.Fatalf("err = %v, want *UnknownTypeError", err)
	}
	if len(ute.Type) != 64 || ute.Direction != AgentToServer {
		t.Fatalf("UnknownTypeError = %+v; want the type cut to 64 bytes", ute)
	}
}

func TestValidationError(t *testing.T) {
	t.Parallel()
	_, err := DecodeFromServer([]byte(`{"type":"remediate_rule"}`))
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Type != TypeRemediateRule || ve.Field != "rule_id" {
		t.Fatalf("err = %#v, want a ValidationError for rule_id", err)
	}
}

func TestDecodeUnknownFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, frame string
		dir         Direction
		strictErr   string // "" when strict decoding accepts it too
	}{
		{"extra top-level", `{"type":"report_now","reason":"x"}`, ServerToAgent, `unknown field "reason"`},
		{"extra nested", `{"type":"docker_status","event":{"type":"container_die","exit_code":1}}`, AgentToServer, `unknown field "event.exit_code"`},
		{"extra deeply nested", `{"type":"apply_config","config":{"compliance":{"enabled":true,"schedule":"daily"}}}`, ServerToAgent,
			`unknown field "config.compliance.schedule"`},
		{"case mismatch", `{"type":"settings_update","Update_Interval":30}`, ServerToAgent, `unknown field "Update_Interval"`},
		{"null nested", `{"type":"docker_status","event":null}`, AgentToServer, ""},
		{"exact", `{"type":"settings_update","update_interval":30}`, ServerToAgent, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := (Decoder{Direction: tt.dir}).Decode([]byte(tt.frame)); err != nil {
				t.Fatalf("lenient Decode: %v", err)
			}
			_, err := Decoder{Direction: tt.dir, DisallowUnknownFields: true}.Decode([]byte(tt.frame))
			if tt.strictErr == "" {
				if err != nil {
					t.Fatalf("strict Decode: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.strictErr) {
				t.Fatalf("strict Decode = %v, want ErrMalformed mentioning %s", err, tt.strictErr)
			}
		})
	}
}

func TestDecodeLenientMatchesStockAgent(t *testing.T) {
	t.Parallel()
	// encoding/json matches names case-insensitively, as the stock agent's
	// decoder does, so a lenient decoder sees the value.
	m, err := DecodeFromServer([]byte(`{"type":"settings_update","Update_Interval":30}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.(*SettingsUpdate).UpdateInterval; got != 30 {
		t.Fatalf("UpdateInterval = %d, want 30", got)
	}
}

func TestDecodeCustomLimit(t *testing.T) {
	t.Parallel()
	frame := []byte(`{"type":"ssh_proxy_data","session_id":"s","data":"` + strings.Repeat("x", 100) + `"}`)
	if _, err := (Decoder{Direction: AgentToServer, MaxFrameSize: 64}).Decode(frame); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("err = %v, want ErrFrameTooLarge", err)
	}
	if _, err := (Decoder{Direction: AgentToServer, MaxFrameSize: 1024}).Decode(frame); err != nil {
		t.Fatal(err)
	}
	if _, err := (Decoder{}).Decode(frame); err == nil {
		t.Fatal("a Decoder without Direction decoded a frame")
	}
}

func TestDecodeAcceptsWhitespaceAndStockShapes(t *testing.T) {
	t.Parallel()
	// As the stock agent marshals its maps: keys sorted, "error" always present.
	frame := []byte(" \n{\"error\":\"\",\"message\":\"Scanning\",\"phase\":\"started\",\"profile_name\":\"CIS\",\"progress\":0,\"timestamp\":\"2026-07-27T16:03:09+02:00\",\"type\":\"compliance_scan_progress\"}\n")
	m, err := Decoder{Direction: AgentToServer, DisallowUnknownFields: true}.Decode(frame)
	if err != nil {
		t.Fatal(err)
	}
	p := m.(*ComplianceScanProgress)
	if p.Phase != PhaseStarted || p.Timestamp.UTC().Hour() != 14 {
		t.Fatalf("decoded %+v", p)
	}
}

func TestComplianceModeForms(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]ComplianceMode{
		`false`: ComplianceDisabled, `"false"`: ComplianceDisabled, `"disabled"`: ComplianceDisabled,
		`true`: ComplianceEnabled, `"true"`: ComplianceEnabled, `"enabled"`: ComplianceEnabled,
		`"on-demand"`: ComplianceOnDemand,
	} {
		frame := `{"type":"apply_config","config":{"compliance":{"enabled":` + in + `}}}`
		m, err := DecodeFromServer([]byte(frame))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if got := m.(*ApplyConfig).Config.Compliance.Enabled; got != want {
			t.Fatalf("%s decoded as %q, want %q", in, got, want)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	t.Parallel()
	if _, err := Encode(nil); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Encode(nil) = %v", err)
	}
	if _, err := Encode(RunPatch{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Encode(RunPatch{}) = %v", err)
	}
	if _, err := Encode(ApplyConfig{Config: AgentConfig{Compliance: &ComplianceConfig{}}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Encode(empty compliance mode) = %v", err)
	}
	big := SSHProxyInput{SessionID: "s", Data: strings.Repeat("a", MaxFrameSize)}
	if _, err := Encode(big); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("Encode(big) = %v", err)
	}
	// The limit is on the encoded size: escaping counts.
	escaped := SSHProxyInput{SessionID: "s", Data: strings.Repeat("<", MaxFrameSize/6+10)}
	if _, err := Encode(escaped); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("Encode(escaped) = %v", err)
	}
}

func TestEncodePointerAndValueAgree(t *testing.T) {
	t.Parallel()
	v, err := Encode(RemediateRule{RuleID: "r"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Encode(&RemediateRule{RuleID: "r"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(v, p) {
		t.Fatalf("%s != %s", v, p)
	}
}

func TestPeekType(t *testing.T) {
	t.Parallel()
	typ, err := PeekType([]byte(`{"session_id":"s","type":"ssh_proxy_data","data":"x"}`))
	if err != nil || typ != TypeSSHProxyData {
		t.Fatalf("PeekType = %q, %v", typ, err)
	}
	if _, err := PeekType([]byte(`{"type":1}`)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("PeekType(bad) = %v", err)
	}
	if _, err := PeekType(make([]byte, MaxFrameSize+1)); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("PeekType(big) = %v", err)
	}
}

func TestTypesAndNew(t *testing.T) {
	t.Parallel()
	toAgent, toServer := Types(ServerToAgent), Types(AgentToServer)
	if len(toAgent) != 18 || len(toServer) != 6 {
		t.Fatalf("Types: %d server-to-agent, %d agent-to-server; want 18 and 6", len(toAgent), len(toServer))
	}
	for _, typ := range append(toAgent, toServer...) {
		m := New(typ)
		if m == nil || m.Type() != typ {
			t.Fatalf("New(%s) = %#v", typ, m)
		}
	}
	if New("nope") != nil {
		t.Fatal("New of an unknown type returned a message")
	}
}

func TestSecretsStayOutOfLogs(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	proxy := SSHProxy{SessionID: "s1", Host: "localhost", Port: 22, Username: "root", Password: "hunter2", PrivateKey: "KEYDATA", Passphrase: "pp"}
	log.Info("send", "frame", proxy)
	log.Info("send", "frame", SSHProxyInput{SessionID: "s1", Data: "hunter2\r"})
	log.Info("recv", "frame", SSHProxyData{SessionID: "s1", Data: "hunter2"})
	out := buf.String() + fmt.Sprint(proxy) + fmt.Sprintf("%v %+v", proxy, proxy)
	for _, secret := range []string{"hunter2", "KEYDATA", "pp "} {
		if strings.Contains(out, secret) {
			t.Fatalf("secret %q logged:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "data_bytes=8") || !strings.Contains(out, "session_id=s1") {
		t.Fatalf("log lacks the useful parts:\n%s", out)
	}
}
