// Package web serves the PatchMon browser dashboard: the React single-page app
// that Vite builds into web/dist/app and that this package embeds into the Go
// binary.
//
// The dashboard is built by `make web` (npm ci and npm run build in this
// directory, which needs Node.js 20 or newer). A plain `go build` without it
// still succeeds: [Handler] then answers every page request with a short page
// saying how to build the dashboard, and the API and agent endpoints are
// unaffected. [Built] reports which of the two a binary contains.
//
// Mount [Handler] as the fallback route, after the API, agent and health
// routes. It serves the app with client-side routing in mind: any path that is
// not a file falls back to index.html, except under /assets/ (hashed build
// output, cached for a year) where a missing file is a 404, and under /api/,
// which gets a JSON 404 so an unknown API route never answers with HTML.
//
// Stability: Handler and Built are stable; the files served change with every
// dashboard release.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// The all: prefix keeps dist/.gitkeep, which is committed so that this pattern
// matches in a checkout where the dashboard was never built.
//
//go:embed all:dist
var dist embed.FS

// appDir is Vite's build.outDir, relative to this directory.
const appDir = "dist/app"

const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
	cacheNever      = "no-store"
)

// contentTypes fixes the types that browsers are strict about, so they do not
// depend on the host's mime.types (which e.g. may lack .woff2 or map .js to
// application/javascript).
var contentTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".json":        "application/json",
	".map":         "application/json",
	".webmanifest": "application/manifest+json",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".ico":         "image/x-icon",
	".webp":        "image/webp",
	".woff":        "font/woff",
	".woff2":       "font/woff2",
	".txt":         "text/plain; charset=utf-8",
	".wasm":        "application/wasm",
}

// Built reports whether the dashboard was built before this binary was, that
// is whether [Handler] serves the app rather than the "not built" page.
func Built() bool {
	_, err := fs.Stat(dist, appDir+"/index.html")
	return err == nil
}

// Handler returns the handler that serves the embedded dashboard. Each call
// returns an independent handler; it holds no state beyond the embedded files.
func Handler() http.Handler {
	app, err := fs.Sub(dist, appDir)
	if err != nil {
		// fs.Sub fails only for an invalid directory name, and appDir is a constant.
		panic("web: " + err.Error())
	}
	return newHandler(app)
}

// newHandler serves the single-page app in app, whose root holds index.html
// and assets/. Without index.html it serves the "dashboard not built" page.
func newHandler(app fs.FS) http.Handler {
	index, err := fs.ReadFile(app, "index.html")
	if err != nil {
		return notBuiltHandler{}
	}
	return &appHandler{app: app, index: index, indexETag: etag(index)}
}

type appHandler struct {
	app       fs.FS
	index     []byte
	indexETag string
}

func (h *appHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r) {
		return
	}
	if isAPIPath(r.URL.Path) {
		apiNotFound(w)
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")

	name := cleanPath(r.URL.Path)
	switch {
	case name == "" || name == "index.html":
		h.serveIndex(w, r)
	case name == "assets" || strings.HasPrefix(name, "assets/"):
		// Vite hashes every file under assets/, so a given name never changes
		// content. A missing one is a stale or mistyped reference: answering
		// with index.html would hand the browser HTML where it expects a script.
		if !h.serveFile(w, r, name, cacheImmutable) {
			w.Header().Set("Cache-Control", cacheRevalidate)
			http.Error(w, "404 page not found", http.StatusNotFound)
		}
	default:
		// Top-level files such as favicon.svg keep their names across
		// releases, so browsers revalidate them.
		if !h.serveFile(w, r, name, cacheRevalidate) {
			h.serveIndex(w, r) // a client-side route such as /hosts/web-01
		}
	}
}

func (h *appHandler) serveIndex(w http.ResponseWriter, r *http.Request) {
	// Never cached without revalidation: it names the current hashed assets.
	w.Header().Set("Cache-Control", cacheRevalidate)
	w.Header().Set("Content-Type", contentTypes[".html"])
	w.Header().Set("ETag", h.indexETag)
	http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(h.index))
}

// serveFile serves a regular file from the app and reports whether there was
// one to serve.
func (h *appHandler) serveFile(w http.ResponseWriter, r *http.Request, name, cacheControl string) bool {
	if name == "" || !fs.ValidPath(name) {
		return false
	}
	f, err := h.app.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		return false
	}

	content, ok := f.(io.ReadSeeker)
	if !ok {
		data, err := io.ReadAll(f)
		if err != nil {
			return false
		}
		content = bytes.NewReader(data)
	}

	header := w.Header()
	header.Set("Cache-Control", cacheControl)
	if ct := contentType(name); ct != "" {
		header.Set("Content-Type", ct)
	}
	if cacheControl == cacheRevalidate {
		// Embedded files have no modification time, so revalidation needs an ETag.
		tag, err := etagOf(content)
		if err != nil {
			return false
		}
		header.Set("ETag", tag)
	}
	http.ServeContent(w, r, name, info.ModTime(), content)
	return true
}

func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if ct, ok := contentTypes[ext]; ok {
		return ct
	}
	return mime.TypeByExtension(ext) // empty lets ServeContent sniff
}

// notBuiltHandler stands in for the app in binaries built without it.
type notBuiltHandler struct{}

func (notBuiltHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r) {
		return
	}
	if isAPIPath(r.URL.Path) {
		apiNotFound(w)
		return
	}
	header := w.Header()
	header.Set("Content-Type", contentTypes[".html"])
	// no-store: once the dashboard is built and the server restarted, the
	// next visit must get the app, not a remembered copy of this page.
	header.Set("Cache-Control", cacheNever)
	header.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(w, notBuiltPage)
	}
}

func allowMethod(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
	return false
}

func isAPIPath(p string) bool {
	return p == "/api" || strings.HasPrefix(p, "/api/")
}

func apiNotFound(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusNotFound)
	_, _ = io.WriteString(w, `{"error":"Route not found"}`+"\n")
}

// cleanPath turns a URL path into an fs.FS name: "/" becomes "", and "."
// and ".." elements are resolved so no path escapes the app directory.
func cleanPath(urlPath string) string {
	return strings.TrimPrefix(path.Clean("/"+urlPath), "/")
}

func etag(data []byte) string {
	sum := sha256.Sum256(data)
	return formatETag(sum[:])
}

func etagOf(content io.ReadSeeker) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, content); err != nil {
		return "", err
	}
	if _, err := content.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	return formatETag(h.Sum(nil)), nil
}

// formatETag quotes the first 96 bits of a SHA-256: plenty to tell releases apart.
func formatETag(sum []byte) string {
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

const notBuiltPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>PatchMon dashboard not built</title>
<style>
  :root { --bg: #f8fafc; --card: #fff; --fg: #0f172a; --muted: #475569; --line: #e2e8f0; --accent: #2563eb; --code: #f1f5f9; }
  @media (prefers-color-scheme: dark) {
    :root { --bg: #020617; --card: #0f172a; --fg: #f1f5f9; --muted: #94a3b8; --line: #1e293b; --accent: #60a5fa; --code: #1e293b; }
  }
  * { box-sizing: border-box; }
  body { margin: 0; min-height: 100vh; display: grid; place-items: center; padding: 1.5rem;
         background: var(--bg); color: var(--fg); font: 16px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
  main { max-width: 40rem; background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 2rem; }
  h1 { margin: 0 0 .75rem; font-size: 1.4rem; line-height: 1.3; }
  p, li { color: var(--muted); }
  strong { color: var(--fg); }
  ol { padding-left: 1.25rem; }
  li { margin: .5rem 0; }
  code { background: var(--code); border-radius: 4px; padding: .1rem .35rem; font: .9em ui-monospace, SFMono-Regular, Menlo, monospace; color: var(--fg); }
  a { color: var(--accent); }
</style>
</head>
<body>
<main>
<h1>PatchMon dashboard not built</h1>
<p>This PatchMon server was built without its browser dashboard, so there is no page to show here.
<strong>The API and agent endpoints work normally</strong>: agents can enroll and report, and
<a href="/health">/health</a> and the <a href="/api/v1/api-docs">API under /api/v1</a> answer as usual.</p>
<p>To add the dashboard, from the root of the PatchMon source tree:</p>
<ol>
<li>Build the dashboard with <code>make web</code>. It needs Node.js 20 or newer and npm.</li>
<li>Rebuild the server (for example <code>go build ./cmd/patchmon-server</code>) and restart it. The dashboard is embedded into the binary.</li>
</ol>
</main>
</body>
</html>
`
