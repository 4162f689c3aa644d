package inventory

import (
	"testing"

	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

// TestPreparePackagesOrderAndDuplicates: rows come out trimmed and in byte order of name,
// and of several rows with one name the last one reported wins, wherever the rows stood.
func TestPreparePackagesOrderAndDuplicates(t *testing.T) {
	in := []agentproto.Package{
		{Name: " zlib1g ", CurrentVersion: "1"},
		{Name: "curl", CurrentVersion: "first"},
		{Name: "Apt", CurrentVersion: "2"},
		{Name: "curl", CurrentVersion: "second"},
		{Name: "bash", CurrentVersion: "3"},
		{Name: "curl ", CurrentVersion: " third ", NeedsUpdate: true},
		{Name: "apt", CurrentVersion: "4"},
	}
	got := preparePackages(in)
	want := []struct{ name, current string }{
		{"Apt", "2"}, {"apt", "4"}, {"bash", "3"}, {"curl", "third"}, {"zlib1g", "1"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].Name != w.name || got[i].CurrentVersion != w.current {
			t.Errorf("row %d = %q %q, want %q %q", i, got[i].Name, got[i].CurrentVersion, w.name, w.current)
		}
	}
	if !got[3].NeedsUpdate {
		t.Error("the winning curl row lost its needsUpdate flag")
	}

	sorted := []agentproto.Package{{Name: "a", CurrentVersion: "1"}, {Name: "b", CurrentVersion: "1"}, {Name: "b", CurrentVersion: "2"}}
	if got := preparePackages(sorted); len(got) != 2 || got[1].CurrentVersion != "2" {
		t.Errorf("already sorted input with a duplicate: %+v", got)
	}
	if got := preparePackages(nil); len(got) != 0 {
		t.Errorf("no packages: %+v", got)
	}
}
