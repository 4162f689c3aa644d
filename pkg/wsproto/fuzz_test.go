package wsproto

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// fuzzDecode checks, for any input, that decoding either fails with one of the
// documented errors or yields a message that encodes and then decodes to the
// same bytes again (the encoded form is canonical).
func fuzzDecode(f *testing.F, dir Direction) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.golden"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(bytes.TrimSpace(b))
	}
	for _, s := range []string{`{}`, `{"type":""}`, `{"type":"docker_status","event":null}`, `{"type":"apply_config","config":{"compliance":{"enabled":"on-demand"}}}`,
		`{"type":"docker_status","timestamp":"2026-07-27T16:03:09.123456789+02:00"}`, `{"type":"ssh_proxy_data","session_id":"\ud800","data":"\xff"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		for _, strict := range []bool{false, true} {
			dec := Decoder{Direction: dir, DisallowUnknownFields: strict}
			m, err := dec.Decode(frame)
			if err != nil {
				if m != nil {
					t.Fatalf("message and error: %#v, %v", m, err)
				}
				if !errors.Is(err, ErrFrameTooLarge) && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrUnknownType) {
					t.Fatalf("undocumented error %v for %q", err, frame)
				}
				continue
			}
			if m.Direction() != dir {
				t.Fatalf("decoded a %s frame as %s", m.Direction(), dir)
			}
			enc, err := Encode(m)
			if err != nil {
				// Only growth past the limit (escaping) may stop a decoded message from encoding.
				if !errors.Is(err, ErrFrameTooLarge) {
					t.Fatalf("Encode(decoded %q): %v", frame, err)
				}
				continue
			}
			m2, err := Decoder{Direction: dir, DisallowUnknownFields: true}.Decode(enc)
			if err != nil {
				t.Fatalf("re-decode %s: %v", enc, err)
			}
			enc2, err := Encode(m2)
			if err != nil {
				t.Fatalf("re-encode: %v", err)
			}
			if !bytes.Equal(enc, enc2) {
				t.Fatalf("encoding not canonical:\n%s\n%s", enc, enc2)
			}
		}
	})
}

func FuzzDecodeFromAgent(f *testing.F)  { fuzzDecode(f, AgentToServer) }
func FuzzDecodeFromServer(f *testing.F) { fuzzDecode(f, ServerToAgent) }
