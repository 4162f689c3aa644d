package wsproto

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"
)

// Version numbers the message set this package implements (see the package
// documentation).
const Version = 1

// VersionHeader is the response header of a successful upgrade that carries the
// server's Version. The stock agent ignores it.
const VersionHeader = "X-PatchMon-WS-Version"

// MaxFrameSize is the largest frame either side may send: the stock agent closes
// the connection on anything larger, and the server reads no more.
const MaxFrameSize = 64 << 10

// Sentinel errors, checked with errors.Is.
var (
	// ErrFrameTooLarge: the frame is longer than the decoder's limit, or an
	// encoded frame would be longer than MaxFrameSize.
	ErrFrameTooLarge = errors.New("wsproto: frame too large")
	// ErrMalformed: the frame is not a JSON object with a string "type", or a
	// field has the wrong JSON type.
	ErrMalformed = errors.New("wsproto: malformed frame")
	// ErrInvalid: the frame is well-formed but breaks a rule of the protocol.
	ErrInvalid = errors.New("wsproto: invalid frame")
	// ErrUnknownType: the frame's type is not one this package defines for the
	// direction it arrived from. Log it and ignore the frame.
	ErrUnknownType = errors.New("wsproto: unknown frame type")
)

// UnknownTypeError reports a frame of a type not defined for its direction.
type UnknownTypeError struct {
	// Type is the frame's "type", truncated to 64 bytes.
	Type string
	// Direction is the direction the frame was decoded for.
	Direction Direction
}

func (e *UnknownTypeError) Error() string {
	return fmt.Sprintf("wsproto: unknown %s frame type %q", e.Direction, e.Type)
}

// Unwrap makes errors.Is(err, ErrUnknownType) true.
func (e *UnknownTypeError) Unwrap() error { return ErrUnknownType }

// ValidationError reports a frame that breaks a rule of the protocol.
type ValidationError struct {
	Type   Type
	Field  string // JSON name of the offending field
	Reason string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("wsproto: invalid %s frame: %s %s", e.Type, e.Field, e.Reason)
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

func invalid(t Type, field, reason string) error {
	return &ValidationError{Type: t, Field: field, Reason: reason}
}

// Type is a frame's "type" member.
type Type string

// Direction says which way a frame travels.
type Direction uint8

// Directions.
const (
	// ServerToAgent frames are commands and settings pushed by the server.
	ServerToAgent Direction = iota + 1
	// AgentToServer frames are events and SSH proxy output sent by the agent.
	AgentToServer
)

func (d Direction) String() string {
	switch d {
	case ServerToAgent:
		return "server-to-agent"
	case AgentToServer:
		return "agent-to-server"
	}
	return fmt.Sprintf("Direction(%d)", uint8(d))
}

// Message is one frame. Only the types of this package implement it.
type Message interface {
	// Type is the frame's "type".
	Type() Type
	// Direction is the way the frame travels.
	Direction() Direction
	// Validate reports whether the frame follows the protocol's rules; the
	// error wraps ErrInvalid.
	Validate() error
	// MarshalJSON returns the wire form, "type" included.
	MarshalJSON() ([]byte, error)

	sealed()
}

// Envelope is the part every frame shares. Use it to route raw frames without
// decoding them fully; see PeekType.
type Envelope struct {
	Type Type `json:"type"`
}

// PeekType returns the "type" of a frame without decoding the rest. It applies
// the MaxFrameSize limit and the same well-formedness rules as Decode.
func PeekType(frame []byte) (Type, error) {
	if len(frame) > MaxFrameSize {
		return "", fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, len(frame), MaxFrameSize)
	}
	_, t, err := splitFrame(frame)
	return t, err
}

// Encode validates m and returns its wire form. It fails with ErrFrameTooLarge
// when the frame would exceed MaxFrameSize, because the receiving agent would
// drop the connection rather than read it.
func Encode(m Message) ([]byte, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil message", ErrInvalid)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	b, err := m.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("wsproto: encode %s: %w", m.Type(), err)
	}
	if len(b) > MaxFrameSize {
		return nil, fmt.Errorf("%w: %s frame is %d bytes, limit %d", ErrFrameTooLarge, m.Type(), len(b), MaxFrameSize)
	}
	return b, nil
}

// marshalWithType encodes v (a struct without MarshalJSON of its own) with a
// leading "type" member.
func marshalWithType(t Type, v any) ([]byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	tb, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(body)+len(tb)+9)
	out = append(out, `{"type":`...)
	out = append(out, tb...)
	if len(body) > 2 { // more than "{}"
		out = append(out, ',')
		out = append(out, body[1:]...)
		return out, nil
	}
	return append(out, '}'), nil
}

// Decoder decodes frames of one direction. The zero value is not usable: set
// Direction.
type Decoder struct {
	// Direction is the direction frames arrive from: AgentToServer on the
	// server, ServerToAgent on the agent. Frames of the other direction are
	// reported as ErrUnknownType. Required.
	Direction Direction
	// MaxFrameSize caps the frame length; larger frames fail with
	// ErrFrameTooLarge. Default: MaxFrameSize.
	MaxFrameSize int
	// DisallowUnknownFields rejects members that the frame's type (or a
	// nested object of it) does not define, with ErrMalformed; names must then
	// match exactly, not case-insensitively. Default: false (unknown members
	// are ignored, as the stock agent does).
	DisallowUnknownFields bool
}

// DecodeFromAgent decodes a frame the server received from an agent, with the
// default limits.
func DecodeFromAgent(frame []byte) (Message, error) {
	return Decoder{Direction: AgentToServer}.Decode(frame)
}

// DecodeFromServer decodes a frame an agent received from the server, with the
// default limits.
func DecodeFromServer(frame []byte) (Message, error) {
	return Decoder{Direction: ServerToAgent}.Decode(frame)
}

// Decode returns the message in frame. See the package documentation for the
// errors.
func (d Decoder) Decode(frame []byte) (Message, error) {
	limit := d.MaxFrameSize
	if limit <= 0 {
		limit = MaxFrameSize
	}
	if len(frame) > limit {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, len(frame), limit)
	}
	if d.Direction != ServerToAgent && d.Direction != AgentToServer {
		return nil, errors.New("wsproto: Decoder.Direction is required")
	}
	fields, t, err := splitFrame(frame)
	if err != nil {
		return nil, err
	}
	spec, ok := registry()[t]
	if !ok || spec.dir != d.Direction {
		name := string(t)
		if len(name) > 64 {
			name = name[:64]
		}
		return nil, &UnknownTypeError{Type: name, Direction: d.Direction}
	}
	if d.DisallowUnknownFields {
		if err := checkKnown(fields, spec.rt, "", true); err != nil {
			return nil, err
		}
	}
	m := spec.new()
	if err := json.Unmarshal(frame, m); err != nil {
		return nil, fmt.Errorf("%w: %s: %s", ErrMalformed, t, describeJSONError(err))
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// splitFrame parses the top level of frame: it must be one JSON object whose
// "type" is a non-empty string.
func splitFrame(frame []byte) (map[string]json.RawMessage, Type, error) {
	trimmed := bytes.TrimLeft(frame, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, "", fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(frame, &fields); err != nil {
		return nil, "", fmt.Errorf("%w: %s", ErrMalformed, describeJSONError(err))
	}
	raw, ok := fields["type"]
	if !ok {
		return nil, "", fmt.Errorf("%w: no \"type\" member", ErrMalformed)
	}
	var t string
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, "", fmt.Errorf("%w: \"type\" is not a string", ErrMalformed)
	}
	if t == "" {
		return nil, "", fmt.Errorf("%w: empty \"type\"", ErrMalformed)
	}
	return fields, Type(t), nil
}

// describeJSONError keeps encoding/json's message but drops its Go type names,
// which mean nothing to the peer.
func describeJSONError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			return fmt.Sprintf("field %q must not be a JSON %s", te.Field, te.Value)
		}
		return "unexpected JSON " + te.Value
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at byte %d: %s", se.Offset, se.Error())
	}
	return err.Error()
}

// checkKnown reports members of fields that the struct type rt does not define,
// recursing into nested objects.
func checkKnown(fields map[string]json.RawMessage, rt reflect.Type, path string, top bool) error {
	known := jsonFields(rt)
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys) // report the same field every time
	for _, k := range keys {
		if top && k == "type" {
			continue
		}
		ft, ok := known[k]
		if !ok {
			return fmt.Errorf("%w: unknown field %q", ErrMalformed, path+k)
		}
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() != reflect.Struct || ft == timeType || reflect.PointerTo(ft).Implements(unmarshalerType) {
			continue
		}
		raw := bytes.TrimSpace(fields[k])
		if len(raw) == 0 || raw[0] != '{' {
			continue // null, or a type error json.Unmarshal reports
		}
		var nested map[string]json.RawMessage
		if err := json.Unmarshal(raw, &nested); err != nil {
			return fmt.Errorf("%w: field %q: %s", ErrMalformed, path+k, describeJSONError(err))
		}
		if err := checkKnown(nested, ft, path+k+".", false); err != nil {
			return err
		}
	}
	return nil
}

var (
	timeType        = reflect.TypeFor[time.Time]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	fieldCache      sync.Map // reflect.Type → map[string]reflect.Type
)

// jsonFields maps the JSON member names of struct type rt to their Go types.
func jsonFields(rt reflect.Type) map[string]reflect.Type {
	if v, ok := fieldCache.Load(rt); ok {
		return v.(map[string]reflect.Type)
	}
	out := map[string]reflect.Type{}
	for i := range rt.NumField() {
		f := rt.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	fieldCache.Store(rt, out)
	return out
}

// frameSpec is how to decode one frame type.
type frameSpec struct {
	dir Direction
	rt  reflect.Type // the struct type
	new func() Message
}

// specFor builds the frameSpec of message type T.
func specFor[T any, P interface {
	*T
	Message
}]() frameSpec {
	var zero T
	m := P(&zero)
	return frameSpec{dir: m.Direction(), rt: reflect.TypeFor[T](), new: func() Message { return P(new(T)) }}
}

// registry maps every frame type to its spec. It is built once and never
// changed, so concurrent decoders share it safely.
var registry = sync.OnceValue(func() map[Type]frameSpec {
	specs := []frameSpec{
		specFor[SettingsUpdate](),
		specFor[ReportNow](),
		specFor[UpdateAgent](),
		specFor[RefreshIntegrationStatus](),
		specFor[DockerInventoryRefresh](),
		specFor[RunPatch](),
		specFor[PatchRunStop](),
		specFor[ComplianceScan](),
		specFor[ComplianceScanCancel](),
		specFor[UpgradeSSG](),
		specFor[InstallScanner](),
		specFor[RemediateRule](),
		specFor[DockerImageScan](),
		specFor[ApplyConfig](),
		specFor[SSHProxy](),
		specFor[SSHProxyInput](),
		specFor[SSHProxyResize](),
		specFor[SSHProxyDisconnect](),
		specFor[DockerStatus](),
		specFor[ComplianceScanProgress](),
		specFor[SSHProxyConnected](),
		specFor[SSHProxyData](),
		specFor[SSHProxyClosed](),
		specFor[SSHProxyError](),
	}
	out := make(map[Type]frameSpec, len(specs))
	for _, s := range specs {
		out[s.new().Type()] = s
	}
	return out
})

// Types lists every frame type of direction d, sorted.
func Types(d Direction) []Type {
	var out []Type
	for t, s := range registry() {
		if s.dir == d {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// New returns a new zero message of type t, or nil when t is not defined.
// Callers that receive frames should use a Decoder instead.
func New(t Type) Message {
	s, ok := registry()[t]
	if !ok {
		return nil
	}
	return s.new()
}
