package agentkit_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestImportGraph keeps the agent free of server-side dependencies: an
// embedded agent must not drag in database drivers, job queues, Redis
// clients or the server's packages. It inspects the real import graph of
// agentkit, its sub-packages and the agent binary.
func TestImportGraph(t *testing.T) {
	t.Parallel()
	const module = "github.com/patchmon-go/patchmon"
	out, err := exec.Command("go", "list", "-deps", module+"/agentkit/...", module+"/cmd/patchmon-agent").CombinedOutput()
	require.NoError(t, err, "%s", out)
	deps := strings.Fields(string(out))
	require.Contains(t, deps, module+"/agentkit")
	forbidden := []string{
		"github.com/jackc/", "github.com/riverqueue/", "github.com/redis/", "github.com/jmoiron/sqlx",
		"github.com/uptrace/bunrouter", "github.com/getkin/", "github.com/oapi-codegen/",
	}
	// Inside the module the agent may use only itself and the shared
	// protocol packages.
	allowed := []string{module + "/agentkit", module + "/pkg/agentproto", module + "/pkg/wsproto", module + "/cmd/patchmon-agent"}
	for _, d := range deps {
		for _, f := range forbidden {
			if strings.HasPrefix(d, f) {
				t.Errorf("the agent depends on %s (server-side)", d)
			}
		}
		if strings.HasPrefix(d, module+"/") || d == module {
			ok := false
			for _, a := range allowed {
				if d == a || strings.HasPrefix(d, a+"/") {
					ok = true
				}
			}
			if !ok {
				t.Errorf("the agent depends on %s; only agentkit and the shared protocol packages are allowed", d)
			}
		}
	}
}
