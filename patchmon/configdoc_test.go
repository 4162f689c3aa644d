package patchmon

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite generated documentation (docs/configuration.md)")

// docs/configuration.md is generated from Config's tags and comments, so it cannot drift:
// change a field, then run `go test ./patchmon -run ConfigurationDoc -update`.
func TestConfigurationDoc(t *testing.T) {
	got := renderConfigDoc(t)
	const path = "../docs/configuration.md"
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != got {
		t.Fatal("docs/configuration.md is out of date: run `go test ./patchmon -run ConfigurationDoc -update`")
	}
}

func renderConfigDoc(t *testing.T) string {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "config.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var st *ast.StructType
	ast.Inspect(f, func(n ast.Node) bool {
		if ts, ok := n.(*ast.TypeSpec); ok && ts.Name.Name == "Config" {
			st = ts.Type.(*ast.StructType)
		}
		return st == nil
	})
	docs := map[string]string{}
	section := map[string]string{}
	fieldDocs := map[*ast.CommentGroup]bool{}
	for _, fld := range st.Fields.List {
		if fld.Doc != nil {
			fieldDocs[fld.Doc] = true
		}
	}
	current := ""
	for _, fld := range st.Fields.List {
		// A comment group between the previous field and this one that is not a field's
		// doc is a section heading.
		for _, cg := range f.Comments {
			if cg.Pos() > st.Fields.Opening && cg.End() < fld.Pos() && !fieldDocs[cg] && (fld.Doc == nil || cg.End() < fld.Doc.Pos()) {
				current = strings.TrimSpace(cg.Text())
			}
		}
		for _, n := range fld.Names {
			docs[n.Name] = strings.Join(strings.Fields(fld.Doc.Text()), " ")
			section[n.Name] = current
		}
	}

	var b strings.Builder
	b.WriteString(`# Configuration

<!-- Generated from patchmon/config.go by TestConfigurationDoc; do not edit by hand.
     Change the Config struct, then run: go test ./patchmon -run ConfigurationDoc -update -->

Every setting is an environment variable. ` + "`patchmon-server`" + ` reads them, in increasing
precedence, from the built-in defaults, a ` + "`.env`" + ` file in the working directory (or the file
named by ` + "`--env-file PATH`" + `), the process environment, and command-line flags. A flag is the
variable's name in lower case with dashes: ` + "`PORT=3000`" + ` is ` + "`--port 3000`" + `, ` + "`DATABASE_URL`" + ` is
` + "`--database-url`" + `; boolean flags may stand alone (` + "`--enable-hsts`" + `).

Any variable can instead be given as ` + "`NAME_FILE=/path/to/file`" + `, whose content (without the
trailing newline) becomes the value — the usual way to pass secrets from Docker or Kubernetes.
In each layer ` + "`NAME`" + ` wins over ` + "`NAME_FILE`" + `.

Invalid values stop the server at start with a message naming the variable, and every problem
is reported at once. ` + "`patchmon-server --config-dump`" + ` prints the effective configuration with
secrets redacted.

Durations written as ` + "`30s`, `15m`, `2h` or `7d`" + ` accept those units (a bare number means
seconds); variables ending in ` + "`_MS`, `_MINUTES`" + ` or documented in seconds take a whole
number in that unit. Sizes accept ` + "`512kb`, `5mb`, `1gb`" + ` or bytes.

**Embedded mode.** Without ` + "`DATABASE_URL`" + ` the server runs its own PostgreSQL from the
system's binaries in ` + "`PATCHMON_DATA_DIR`" + ` and generates ` + "`JWT_SECRET`" + ` and
` + "`AI_ENCRYPTION_KEY`" + ` once, keeping them in ` + "`PATCHMON_DATA_DIR/secrets`" + ` (mode 0600).
Without ` + "`REDIS_URL`" + ` or ` + "`REDIS_HOST`" + ` an in-process store replaces Redis; that serves one
server. Run several replicas with an external PostgreSQL and Redis.
`)
	rt := reflect.TypeOf(Config{})
	lastSection := ""
	for _, cf := range configFields() {
		name := rt.Field(cf.index).Name
		if sec := section[name]; sec != lastSection {
			lastSection = sec
			fmt.Fprintf(&b, "\n## %s\n\n| Variable | Default | Meaning |\n|---|---|---|\n", sec)
		}
		doc := docs[name]
		commentDefault := ""
		if i := strings.LastIndex(doc, " Default:"); i >= 0 {
			doc, commentDefault = doc[:i], strings.TrimSuffix(strings.TrimSpace(doc[i+len(" Default:"):]), ".")
		}
		doc = strings.TrimPrefix(doc, name+" ")
		for _, verb := range []string{"is ", "are "} {
			doc = strings.TrimPrefix(doc, verb)
		}
		doc = strings.ToUpper(doc[:1]) + doc[1:]
		def := "—"
		if rest, ok := strings.CutPrefix(commentDefault, `""`); ok && strings.TrimSpace(rest) != "" {
			def = "— " + strings.TrimSpace(rest)
		}
		if cf.def != "" {
			v := reflect.New(cf.kind).Elem()
			if err := setField(v, cf, cf.def); err != nil {
				t.Fatal(err)
			}
			def = "`" + formatField(v, cf) + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", cf.env, def, strings.ReplaceAll(doc, "|", "\\|"))
	}
	return b.String()
}
