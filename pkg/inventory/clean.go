package inventory

import (
	"strings"

	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

// cleanPtr cleans and trims an optional string from an agent.
func cleanPtr(p *string) *string {
	if p == nil {
		return nil
	}
	v := strings.TrimSpace(agentproto.Clean(*p))
	return &v
}

// cleanDisks returns the disk list with every string cleaned.
func cleanDisks(in []agentproto.DiskDetail) []agentproto.DiskDetail {
	out := make([]agentproto.DiskDetail, len(in))
	for i, d := range in {
		out[i] = agentproto.DiskDetail{
			Name:       agentproto.Clean(d.Name),
			Size:       agentproto.Clean(d.Size),
			MountPoint: agentproto.Clean(d.MountPoint),
		}
	}
	return out
}

// jsonbArg passes raw JSON to a jsonb parameter, or SQL NULL for none.
func jsonbArg(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// nullIfEmpty passes "" as SQL NULL.
func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
