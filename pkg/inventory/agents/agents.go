// Package agents embeds the PatchMon agent binaries that the server hands out to hosts
// (hosts/agent/download, the install script and agent self-update).
//
// `make agents` cross-compiles cmd/patchmon-agent into dist/ as
// patchmon-agent-<os>-<arch> before the server is built, so a `make build` server carries
// the agent for linux amd64, arm64, arm and 386. A plain `go build` of the server embeds
// whatever dist/ holds, possibly nothing; the server then answers 404 with a message
// naming the missing platform.
//
// The version served for a binary is, in order: the content of <binary>.version next to it
// (`make agents` writes one), the value given to `-ldflags "-X <package>.Version=<v>"` as
// recorded in the Go build information (Go leaves -ldflags out of it for -trimpath
// builds), the module version of a tagged build, or a "PatchMon Agent v<version>" string
// in the binary. The SHA-256 served is the content of <binary>.sha256 when present (`make
// agents` writes one, so the server need not read the binary to hash it), else computed on
// first use.
//
// The API is stable: FS is all there is.
package agents

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// FS returns the embedded binaries, with names relative to dist/.
func FS() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// fs.Sub fails only for an invalid directory name, which "dist" is not.
		panic(err)
	}
	return sub
}
