package inventory_test

import (
	"fmt"

	"github.com/patchmon-go/patchmon/pkg/inventory"
)

func ExampleCompareVersions() {
	fmt.Println(inventory.CompareVersions("1:2.38.1-5+deb12u3", "1:2.38.1-5+deb12u10"))
	fmt.Println(inventory.CompareVersions("1.0~rc1", "1.0"))
	fmt.Println(inventory.CompareVersions("v1.4.2", "1.4.2"))
	// Output:
	// -1
	// -1
	// 0
}

func ExampleAgentBinaryName() {
	for _, arch := range inventory.AgentArchitectures() {
		fmt.Println(inventory.AgentBinaryName(inventory.AgentOS, arch))
	}
	// Output:
	// patchmon-agent-linux-amd64
	// patchmon-agent-linux-arm64
	// patchmon-agent-linux-arm
	// patchmon-agent-linux-386
}
