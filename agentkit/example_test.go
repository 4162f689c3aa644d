package agentkit_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/patchmon-go/patchmon/agentkit"
)

// An embedder builds a report of its own host without sending it.
func ExampleAgent_BuildReport() {
	a, err := agentkit.New(agentkit.Config{})
	if err != nil {
		log.Fatal(err)
	}
	r, err := a.BuildReport(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.PackageManager, len(r.Packages) > 0)
}

// The long-lived agent, configured from config.yml as patchmon-agent serve
// does.
func ExampleAgent_Run() {
	f, err := agentkit.LoadFile("/etc/patchmon/config.yml")
	if err != nil {
		log.Fatal(err)
	}
	if err := f.LoadCredentials(); err != nil {
		log.Fatal(err)
	}
	cfg := f.AgentConfig() // server-driven settings are saved back into the file
	cfg.Restart = agentkit.RestartSystemd("patchmon-agent")
	a, err := agentkit.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	if err := a.Run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

// Every host derives its own slot in the interval from its API id.
func ExampleEffectiveOffset() {
	for _, id := range []string{"patchmon_a1b2c3d4", "patchmon_e5f6a7b8"} {
		fmt.Println(id, agentkit.EffectiveOffset(id, time.Hour, 0))
	}
	// Output:
	// patchmon_a1b2c3d4 4m30s
	// patchmon_e5f6a7b8 40m14s
}

func ExampleLoadFile() {
	f, err := agentkit.LoadFile("testdata/config-nested.yml")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(f.PatchmonServer, f.UpdateInterval, f.PackageCacheRefreshMode, f.Integrations.Compliance)
	// Output: http://patchmon.lan:3000 60 always disabled
}
