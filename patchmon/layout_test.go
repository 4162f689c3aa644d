package patchmon_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const repoRoot = ".."

// The top level of the repository is fixed (see README: Layout).
func TestTopLevelLayout(t *testing.T) {
	allowed := map[string]bool{"pkg": true, "patchmon": true, "openapi": true, "cmd": true, "agentkit": true,
		"web": true, "migrations": true, "examples": true, "docs": true, "go.mod": true, "go.sum": true,
		"Makefile": true, "README.md": true, "LICENSE": true,
		// Build output and local data, ignored by git.
		"bin": true, "data": true}
	entries, err := os.ReadDir(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		seen[name] = true
		if strings.HasPrefix(name, ".") {
			continue
		}
		if !allowed[name] {
			t.Errorf("unexpected top-level entry %q: new code belongs under pkg/ (or another existing folder)", name)
		}
	}
	for _, must := range []string{"pkg", "patchmon", "openapi", "cmd", "agentkit", "web", "migrations", "examples", "docs", "go.mod", "Makefile", "README.md"} {
		if !seen[must] {
			t.Errorf("missing top-level entry %q", must)
		}
	}
}

// Every Go package says what it is for in a package doc comment.
func TestEveryPackageHasADocComment(t *testing.T) {
	dirs := map[string][]string{}
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != repoRoot && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata" || name == "bin" || name == "data") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			dirs[filepath.Dir(path)] = append(dirs[filepath.Dir(path)], path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for dir, files := range dirs {
		documented := false
		for _, f := range files {
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.PackageClauseOnly|parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			if af.Doc != nil && strings.TrimSpace(af.Doc.Text()) != "" {
				documented = true
				break
			}
		}
		if !documented {
			missing = append(missing, dir)
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("package in %s has no package doc comment", m)
	}
	if len(dirs) < 10 {
		t.Fatalf("found only %d packages; is the walk rooted at the repository?", len(dirs))
	}
}
