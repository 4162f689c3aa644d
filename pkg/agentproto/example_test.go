package agentproto_test

import (
	"errors"
	"fmt"
	"slices"

	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

func ExamplePackagesHash() {
	pkgs := []agentproto.Package{
		{Name: "zlib1g", Description: "compression library - runtime", Category: "libs", CurrentVersion: "1:1.2.13.dfsg-1"},
		{
			Name: "bash", Description: "GNU Bourne Again SHell", CurrentVersion: "5.2.15-2+b2",
			AvailableVersion: "5.2.15-2+b7", NeedsUpdate: true, IsSecurityUpdate: true,
			SourceRepository: "http://deb.debian.org/debian-security bookworm-security/main",
		},
	}
	fmt.Println(agentproto.PackagesHash(pkgs))
	// Output: 706a4f60df63c0c9ffed270d526039c0cdadc5e79ad17b7b0cf1122d858b99fd
}

func ExampleStaleSections() {
	// What the server stored after the host's last report, and what the
	// agent reports now: its packages changed and, freshly restarted, it has
	// no docker hash yet.
	stored := agentproto.PingHashes{PackagesHash: "p1", ReposHash: "r", InterfacesHash: "i", HostnameHash: "h", DockerHash: "d"}
	reported := agentproto.PingHashes{PackagesHash: "p2", ReposHash: "r", InterfacesHash: "i", HostnameHash: "h"}

	requestFull := agentproto.StaleSections(stored, reported)
	// Compliance is switched off for this host: don't ask for it.
	requestFull = slices.DeleteFunc(requestFull, func(s string) bool { return s == agentproto.SectionCompliance })
	fmt.Println(requestFull)
	// Output: [packages docker]
}

func ExampleReport_Validate() {
	r := agentproto.Report{
		Sections: []string{agentproto.SectionPackages},
		Packages: []agentproto.Package{{Name: "bash\x00", CurrentVersion: "5.2"}, {CurrentVersion: "1.0"}},
	}
	r.Sanitize() // NUL bytes and invalid UTF-8 are cleaned, never rejected
	err := r.Validate()
	fmt.Println(r.Packages[0].Name)
	fmt.Println(errors.Is(err, agentproto.ErrPackageName), err)
	// Output:
	// bash
	// true packages[1].name: package name is required
}
