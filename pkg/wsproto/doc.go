// Package wsproto defines the frames exchanged over the agent WebSocket
// (GET /api/v1/agents/ws): one Go type per frame, the strict decoder both ends
// use on what they receive and the encoder both ends use on what they send.
//
// It is shared by the server's agent hub (pkg/agenthub) and the agent library
// (agentkit), and imports only the standard library so that either can embed
// it anywhere.
//
// # Wire form
//
// Every frame is one JSON object in one WebSocket text message, with a "type"
// member naming the frame; the other members are the frame's fields, with the
// exact names the stock upstream PatchMon agent uses (see
// spec/agent-protocol.md). [Encode] writes "type" first, followed by the fields
// in declaration order, so frames are byte-for-byte reproducible (the golden
// files in testdata pin them).
//
// # Decoding
//
// [DecodeFromAgent] (server side) and [DecodeFromServer] (agent side) accept
// only frames of their direction and reject, each with its own sentinel:
//   - frames over [MaxFrameSize] (64 KiB, the stock agent's read limit):
//     [ErrFrameTooLarge];
//   - anything that is not one JSON object with a string "type", has fields of
//     the wrong JSON type, or carries trailing data: [ErrMalformed];
//   - frames whose content breaks the protocol's rules, such as a run_patch
//     without patch_run_id: [ErrInvalid] (a *[ValidationError] names the field);
//   - a "type" this package does not define for that direction:
//     [ErrUnknownType] (a *[UnknownTypeError] names it). Peers are allowed to be
//     newer than we are, so callers log this one and carry on.
//
// Unknown members of a known frame are ignored by default, as the stock agent
// ignores them, so that a newer peer may add fields; [Decoder] can reject them
// instead.
//
// # Versioning and stability
//
// [Version] numbers the message set. It grows by one whenever a frame type or
// field is added; fields are never renamed, retyped or removed, because agents
// in the field cannot be upgraded in step with the server. The server announces
// its Version in the [VersionHeader] of the upgrade response.
//
// The Go API follows semantic versioning with the module: message structs may
// gain fields (construct them with field names), and the Message interface may
// only be implemented by this package.
package wsproto
