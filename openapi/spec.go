// Package openapi holds PatchMon's API description, openapi/patchmon.yaml, which is the single
// source of truth for the HTTP API, and the code generated from it by oapi-codegen
// (`make generate`): the strict server interface every handler implements, the request and
// response models, and a Go client (NewClientWithResponses) for programs that call a
// PatchMon server.
//
// The generated API follows the spec and changes with it; LoadSpec and Spec are stable.
package openapi

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed patchmon.yaml
var specYAML []byte

// Spec returns the API description as YAML, exactly as committed.
func Spec() []byte { return append([]byte(nil), specYAML...) }

// LoadSpec parses and validates the API description. Each call returns a fresh document,
// so callers may keep and use it without sharing state.
func LoadSpec() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(specYAML)
	if err != nil {
		return nil, fmt.Errorf("openapi: parse patchmon.yaml: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("openapi: patchmon.yaml is invalid: %w", err)
	}
	return doc, nil
}

// SpecJSON returns the API description as JSON, as served at /api/v1/openapi.json.
func SpecJSON() ([]byte, error) {
	doc, err := LoadSpec()
	if err != nil {
		return nil, err
	}
	return json.Marshal(doc)
}
