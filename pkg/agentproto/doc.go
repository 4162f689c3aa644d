// Package agentproto defines the HTTP payloads of the PatchMon agent protocol
// and the canonical section hashes that drive hash-gated check-in.
//
// It is the single source of truth shared by the server (report ingest, the
// hash-gated ping) and the agent library (agentkit), so that both sides agree
// byte for byte with each other and with the stock upstream PatchMon agent.
// It therefore imports only the standard library and golang.org/x/text.
//
// The package holds:
//   - request and response types whose JSON field names are the wire contract
//     (see spec/agent-protocol.md), e.g. [Report], [PingRequest],
//     [PingResponse];
//   - the canonical hashes [PackagesHash], [ReposHash], [InterfacesHash],
//     [HostnameHash] and [DockerHash], which must equal the stock agent's;
//   - input hygiene: [Clean], [Report.Sanitize] and [Report.Validate];
//   - [StaleSections], which builds a ping response's requestFull list.
//
// # Stability
//
// The JSON field names, the section names and the hash outputs are a
// compatibility contract with agents already deployed in the field: they
// change only if the upstream protocol changes, never for convenience. The Go
// API follows semantic versioning with the module; new fields may be added to
// the payload structs as the protocol grows, so construct them with field
// names rather than positionally.
package agentproto
