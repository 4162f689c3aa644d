package openapi_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/patchmon-go/patchmon/openapi"
)

// The generated code must match the spec: edit patchmon.yaml, then run `make generate`.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "patchmon.gen.go")
	conf, err := os.ReadFile("oapi-codegen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Same configuration, output redirected to the temporary directory.
	conf = bytes.Replace(conf, []byte("output: patchmon.gen.go"), []byte("output: "+out), 1)
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), conf, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "tool", "oapi-codegen", "-config", filepath.Join(dir, "config.yaml"), "patchmon.yaml")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("oapi-codegen: %v", err)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("patchmon.gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("openapi/patchmon.gen.go is out of date with patchmon.yaml: run `make generate` and commit the result")
	}
}

func TestSpecLoadsAndValidates(t *testing.T) {
	doc, err := openapi.LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" {
				t.Errorf("%s %s has no operationId", method, path)
			}
			if _, ok := op.Extensions["x-permission"]; !ok {
				t.Errorf("%s %s declares no x-permission", method, path)
			}
		}
	}
	if _, err := openapi.SpecJSON(); err != nil {
		t.Fatal(err)
	}
}
