package wsproto_test

import (
	"errors"
	"fmt"

	"github.com/patchmon-go/patchmon/pkg/wsproto"
)

// The server encodes a command for an agent.
func ExampleEncode() {
	frame, err := wsproto.Encode(wsproto.SettingsUpdate{UpdateInterval: 30})
	if err != nil {
		panic(err)
	}
	fmt.Println(string(frame))
	// Output: {"type":"settings_update","update_interval":30}
}

// The server decodes what an agent sent, logging and skipping frame types it
// does not know.
func ExampleDecodeFromAgent() {
	for _, frame := range []string{
		`{"type":"compliance_scan_progress","phase":"completed","profile_name":"CIS","message":"done","progress":100}`,
		`{"type":"rdp_proxy_data","session_id":"x"}`,
	} {
		m, err := wsproto.DecodeFromAgent([]byte(frame))
		switch {
		case errors.Is(err, wsproto.ErrUnknownType):
			fmt.Println("ignored:", err)
		case err != nil:
			fmt.Println("bad frame:", err)
		default:
			switch m := m.(type) {
			case *wsproto.ComplianceScanProgress:
				fmt.Printf("scan %s: %s (%.0f%%)\n", m.ProfileName, m.Phase, m.Progress)
			}
		}
	}
	// Output:
	// scan CIS: completed (100%)
	// ignored: wsproto: unknown agent-to-server frame type "rdp_proxy_data"
}
