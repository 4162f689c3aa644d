package collecttest_test

import (
	"context"
	"fmt"

	"github.com/patchmon-go/patchmon/agentkit/collect"
	"github.com/patchmon-go/patchmon/agentkit/collect/apt"
	"github.com/patchmon-go/patchmon/agentkit/collect/collecttest"
)

// A collector fed canned command output instead of the machine's.
func ExampleRunner() {
	r := collecttest.NewRunner().
		SetOutput("dpkg --print-architecture", "amd64\n").
		SetOutput("dpkg-query -W", "ii \tbash\tamd64\t5.2.15-2+b2\tshells\tGNU Bourne Again SHell\n").
		SetOutput("apt-cache policy", "bash:\n  Installed: 5.2.15-2+b2\n  Candidate: 5.2.15-2+b7\n  Version table:\n"+
			"     5.2.15-2+b7 500\n        500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages\n"+
			" *** 5.2.15-2+b2 100\n        100 /var/lib/dpkg/status\n")
	pkgs, err := apt.New(collect.Host{Runner: r}).Packages(context.Background())
	if err != nil {
		panic(err)
	}
	p := pkgs[0]
	fmt.Println(p.Name, p.CurrentVersion, "->", p.AvailableVersion, "security:", p.IsSecurityUpdate)
	fmt.Println(r.Calls()[2])
	// Output:
	// bash 5.2.15-2+b2 -> 5.2.15-2+b7 security: true
	// apt-cache policy bash
}
