package inventory

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

// FuzzDecodeReport holds the fast decoder to encoding/json's behaviour on agent bodies:
// whatever the standard library accepts decodes to the same report, and nothing panics
// out of decodeJSON.
func FuzzDecodeReport(f *testing.F) {
	full, err := json.Marshal(agentproto.Report{Packages: benchPackages(3), Hostname: "h", OSType: "Debian"})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		string(full),
		`{}`, `null`, `[]`, `{"packages":null}`, `{"packages":[{}]}`,
		`{"hostname":"a\u0000b","packages":[{"name":"x","needsUpdate":true}]}`,
		`{"HOSTNAME":"upper","Packages":[{"NAME":"case"}]}`,
		`{"hostname":"dup","hostname":"second"}`,
		`{"hostname":"caf` + "\xe9" + `"}`,
		`{"packages":[{"name":"n","wuaRevisionNumber":1e3}]}`,
		`{"packages":[{"name":"n","wuaRevisionNumber":99999999999}]}`,
		`{"ramInstalled":"not a number"}`,
		`{"hostname":"x"} trailing`,
		`{"hostname":"\ud800"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var want agentproto.Report
		stdErr := json.NewDecoder(bytes.NewReader(data)).Decode(&want)
		var got agentproto.Report
		ok, err := decodeJSON(bytes.NewReader(data), &got)
		if stdErr != nil {
			return // both refuse, or the fast decoder is more lenient: either way the body is then validated
		}
		if err != nil || !ok {
			t.Fatalf("encoding/json accepts %q, decodeJSON refuses: ok=%v err=%v", data, ok, err)
		}
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("decoded differently from encoding/json for %q:\nstd  %+v\nfast %+v", data, want, got)
		}
	})
}

// BenchmarkDecodeReport measures decoding a 200-package full report body, the largest
// share of the server's CPU per report before the database.
func BenchmarkDecodeReport(b *testing.B) {
	raw, err := json.Marshal(agentproto.Report{Packages: benchPackages(200), Hostname: "bench", OSType: "Debian"})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		var r agentproto.Report
		if _, err := decodeJSON(bytes.NewReader(raw), &r); err != nil {
			b.Fatal(err)
		}
	}
}
