package agentproto

import (
	"errors"
	"slices"
	"testing"
)

func pkgs(n int) []Package {
	out := make([]Package, n)
	for i := range out {
		out[i] = Package{Name: "p" + string(rune('a'+i%26)), CurrentVersion: "1"}
	}
	return out
}

func TestReportValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		r       Report
		wantErr error
		wantMsg string
	}{
		{name: "full report", r: Report{Packages: pkgs(3)}},
		{
			name: "full report without packages", r: Report{}, wantErr: ErrNoPackages,
			wantMsg: "packages: no packages: a full report must contain at least one package",
		},
		{
			name: "empty sections list is a full report", r: Report{Sections: []string{}}, wantErr: ErrNoPackages,
		},
		{name: "exactly MaxPackages", r: Report{Packages: pkgs(MaxPackages)}},
		{
			name: "too many packages", r: Report{Packages: pkgs(MaxPackages + 1)}, wantErr: ErrTooManyPackages,
			wantMsg: "packages: too many packages: 10001, the maximum is 10000",
		},
		{
			name: "package without name", r: Report{Packages: []Package{{Name: "a"}, {Name: "b"}, {Name: " \t", CurrentVersion: "1"}}},
			wantErr: ErrPackageName, wantMsg: "packages[2].name: package name is required",
		},
		{name: "partial without packages", r: Report{Sections: []string{SectionRepos, SectionHostname}, Hostname: "h"}},
		{
			name: "partial ignores packages it does not apply",
			r:    Report{Sections: []string{SectionInterfaces}, Packages: []Package{{Name: ""}}},
		},
		{
			name: "partial ignores package count it does not apply",
			r:    Report{Sections: []string{SectionInterfaces}, Packages: pkgs(MaxPackages + 1)},
		},
		{
			name: "partial listing packages without any", r: Report{Sections: []string{SectionPackages}}, wantErr: ErrNoPackages,
			wantMsg: "packages: no packages: sections lists packages but the packages array is empty",
		},
		{name: "partial with packages", r: Report{Sections: []string{SectionPackages, SectionRepos}, Packages: pkgs(1)}},
		{name: "duplicate section names are harmless", r: Report{Sections: []string{SectionRepos, SectionRepos}}},
		{
			name: "unknown section", r: Report{Sections: []string{SectionRepos, "metrics"}}, wantErr: ErrUnknownSection,
			wantMsg: `sections[1]: unknown section: "metrics" is not one of packages, repos, interfaces, hostname`,
		},
		{
			name: "docker is not a report section", r: Report{Sections: []string{SectionDocker}, Packages: pkgs(1)}, wantErr: ErrUnknownSection,
		},
		{
			name: "sections are case-sensitive", r: Report{Sections: []string{"Packages"}}, wantErr: ErrUnknownSection,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.r.Validate()
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Validate() = %v, want %v", err, tt.wantErr)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate() = %T, want *ValidationError", err)
			}
			if tt.wantMsg != "" && err.Error() != tt.wantMsg {
				t.Errorf("message = %q, want %q", err.Error(), tt.wantMsg)
			}
		})
	}
}

func TestReportSectionsHelpers(t *testing.T) {
	t.Parallel()
	full := Report{}
	partial := Report{Sections: []string{SectionRepos, SectionHostname}}
	if full.IsPartial() || !partial.IsPartial() {
		t.Fatal("IsPartial wrong")
	}
	for _, s := range ReportSections() {
		if !full.Has(s) {
			t.Errorf("full report should have %s", s)
		}
	}
	for s, want := range map[string]bool{
		SectionPackages: false, SectionRepos: true, SectionInterfaces: false, SectionHostname: true,
		SectionDocker: false, SectionCompliance: false, "": false,
	} {
		if got := partial.Has(s); got != want {
			t.Errorf("partial.Has(%q) = %v, want %v", s, got, want)
		}
	}
	for _, s := range []string{SectionDocker, SectionCompliance, "bogus"} {
		if full.Has(s) {
			t.Errorf("full report should not have %s", s)
		}
	}
	if !slices.Equal(AllSections()[:4], ReportSections()) {
		t.Error("report sections are not the first four sections")
	}
	a := AllSections()
	a[0] = "mutated"
	if AllSections()[0] != SectionPackages {
		t.Error("AllSections shares its backing array")
	}
	for _, s := range AllSections() {
		if !IsSection(s) {
			t.Errorf("IsSection(%q) = false", s)
		}
	}
	if IsSection("metrics") || IsReportSection(SectionDocker) {
		t.Error("IsSection/IsReportSection too lenient")
	}
}

func TestStaleSections(t *testing.T) {
	t.Parallel()
	all := PingHashes{
		PackagesHash: "p", ReposHash: "r", InterfacesHash: "i",
		HostnameHash: "h", DockerHash: "d", ComplianceHash: "c",
	}
	tests := []struct {
		name             string
		stored, reported PingHashes
		want             []string
	}{
		{"all equal", all, all, []string{}},
		{"new host: nothing stored", PingHashes{}, all, AllSections()},
		{"nothing stored, nothing reported", PingHashes{}, PingHashes{}, AllSections()},
		{
			"one differs",
			all,
			PingHashes{PackagesHash: "p2", ReposHash: "r", InterfacesHash: "i", HostnameHash: "h", DockerHash: "d", ComplianceHash: "c"},
			[]string{SectionPackages},
		},
		{
			// The stock agent sends no docker/compliance hash until it has
			// uploaded that data in its current process.
			"reported empty counts as differing",
			all,
			PingHashes{PackagesHash: "p", ReposHash: "r", InterfacesHash: "i", HostnameHash: "h"},
			[]string{SectionDocker, SectionCompliance},
		},
		{
			"canonical order whatever differs",
			PingHashes{PackagesHash: "p", HostnameHash: "h", ComplianceHash: "c"},
			PingHashes{PackagesHash: "p", ReposHash: "r", InterfacesHash: "x", HostnameHash: "h2", DockerHash: "d", ComplianceHash: "c"},
			[]string{SectionRepos, SectionInterfaces, SectionHostname, SectionDocker},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := StaleSections(tt.stored, tt.reported)
			if got == nil {
				t.Fatal("StaleSections returned nil")
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("StaleSections = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPingHashesGet(t *testing.T) {
	t.Parallel()
	h := PingHashes{PackagesHash: "1", ReposHash: "2", InterfacesHash: "3", HostnameHash: "4", DockerHash: "5", ComplianceHash: "6"}
	var got []string
	for _, s := range AllSections() {
		got = append(got, h.Get(s))
	}
	if !slices.Equal(got, []string{"1", "2", "3", "4", "5", "6"}) {
		t.Errorf("Get over AllSections = %q", got)
	}
	if h.Get("metrics") != "" {
		t.Error("Get of an unknown section should be empty")
	}
}
