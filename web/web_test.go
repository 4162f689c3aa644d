package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

const testIndex = `<!doctype html><html><head><title>PatchMon</title>` +
	`<script type="module" src="/assets/index-Ab12Cd34.js"></script></head><body><div id="root"></div></body></html>`

func builtApp() fstest.MapFS {
	return fstest.MapFS{
		"index.html":                  {Data: []byte(testIndex)},
		"favicon.svg":                 {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
		"assets/index-Ab12Cd34.js":    {Data: []byte(`console.log("patchmon")`)},
		"assets/index-Ef56Gh78.css":   {Data: []byte(`body{margin:0}`)},
		"assets/inter-Zz99Yy88.woff2": {Data: []byte("wOF2")},
	}
}

type response struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, h http.Handler, method, target string, header http.Header) response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body, err := io.ReadAll(rec.Result().Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return response{status: rec.Code, header: rec.Header(), body: string(body)}
}

func TestBuiltApp(t *testing.T) {
	t.Parallel()
	h := newHandler(builtApp())

	tests := []struct {
		name         string
		path         string
		status       int
		cacheControl string
		contentType  string
		body         string
	}{
		{"root serves index", "/", 200, "no-cache", "text/html; charset=utf-8", testIndex},
		{"index.html by name", "/index.html", 200, "no-cache", "text/html; charset=utf-8", testIndex},
		{"client route falls back to index", "/hosts", 200, "no-cache", "text/html; charset=utf-8", testIndex},
		{"nested client route with a dot", "/hosts/web-01.example.com", 200, "no-cache", "text/html; charset=utf-8", testIndex},
		{"query string ignored", "/settings?tab=agents", 200, "no-cache", "text/html; charset=utf-8", testIndex},
		{"dot segments cannot escape", "/../../etc/passwd", 200, "no-cache", "text/html; charset=utf-8", testIndex},
		{"hashed script", "/assets/index-Ab12Cd34.js", 200, "public, max-age=31536000, immutable", "text/javascript; charset=utf-8", `console.log("patchmon")`},
		{"hashed stylesheet", "/assets/index-Ef56Gh78.css", 200, "public, max-age=31536000, immutable", "text/css; charset=utf-8", `body{margin:0}`},
		{"font", "/assets/inter-Zz99Yy88.woff2", 200, "public, max-age=31536000, immutable", "font/woff2", "wOF2"},
		{"top-level file revalidates", "/favicon.svg", 200, "no-cache", "image/svg+xml", `<svg xmlns="http://www.w3.org/2000/svg"/>`},
		{"missing asset is 404, not index", "/assets/index-OldHash1.js", 404, "no-cache", "text/plain; charset=utf-8", "404 page not found\n"},
		{"assets directory is 404", "/assets/", 404, "no-cache", "text/plain; charset=utf-8", "404 page not found\n"},
		{"unknown API route is JSON 404", "/api/v1/no-such-route", 404, "", "application/json", `{"error":"Route not found"}` + "\n"},
		{"bare /api is JSON 404", "/api", 404, "", "application/json", `{"error":"Route not found"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := do(t, h, http.MethodGet, tt.path, nil)
			if res.status != tt.status {
				t.Errorf("status = %d, want %d", res.status, tt.status)
			}
			if got := res.header.Get("Cache-Control"); got != tt.cacheControl {
				t.Errorf("Cache-Control = %q, want %q", got, tt.cacheControl)
			}
			if got := res.header.Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type = %q, want %q", got, tt.contentType)
			}
			if got := res.header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
			}
			if res.body != tt.body {
				t.Errorf("body = %q, want %q", res.body, tt.body)
			}
		})
	}
}

func TestBuiltAppRevalidation(t *testing.T) {
	t.Parallel()
	h := newHandler(builtApp())

	for _, path := range []string{"/", "/hosts", "/favicon.svg"} {
		first := do(t, h, http.MethodGet, path, nil)
		tag := first.header.Get("ETag")
		if tag == "" {
			t.Fatalf("GET %s: no ETag", path)
		}
		again := do(t, h, http.MethodGet, path, http.Header{"If-None-Match": {tag}})
		if again.status != http.StatusNotModified {
			t.Errorf("GET %s with If-None-Match: status = %d, want 304", path, again.status)
		}
	}

	// Every route serves the same index, so they share one ETag.
	if a, b := do(t, h, http.MethodGet, "/", nil), do(t, h, http.MethodGet, "/users", nil); a.header.Get("ETag") != b.header.Get("ETag") {
		t.Errorf("ETag differs between / and /users: %q vs %q", a.header.Get("ETag"), b.header.Get("ETag"))
	}
}

func TestBuiltAppMethods(t *testing.T) {
	t.Parallel()
	h := newHandler(builtApp())

	head := do(t, h, http.MethodHead, "/hosts", nil)
	if head.status != http.StatusOK || head.body != "" {
		t.Errorf("HEAD /hosts: status %d, body %q; want 200 and no body", head.status, head.body)
	}
	if got := head.header.Get("Content-Type"); got != "text/html; charset=utf-8" {
		t.Errorf("HEAD /hosts: Content-Type = %q", got)
	}

	post := do(t, h, http.MethodPost, "/", nil)
	if post.status != http.StatusMethodNotAllowed {
		t.Errorf("POST /: status = %d, want 405", post.status)
	}
	if got := post.header.Get("Allow"); got != "GET, HEAD" {
		t.Errorf("POST /: Allow = %q, want \"GET, HEAD\"", got)
	}
}

func TestNotBuilt(t *testing.T) {
	t.Parallel()
	// What the embed holds in a checkout where `make web` never ran.
	h := newHandler(fstest.MapFS{})

	for _, path := range []string{"/", "/index.html", "/hosts/web-01", "/assets/index-Ab12Cd34.js", "/favicon.svg"} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			res := do(t, h, http.MethodGet, path, nil)
			if res.status != http.StatusOK {
				t.Errorf("status = %d, want 200", res.status)
			}
			if got := res.header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			if got := res.header.Get("Content-Type"); got != "text/html; charset=utf-8" {
				t.Errorf("Content-Type = %q, want text/html; charset=utf-8", got)
			}
			for _, want := range []string{
				"<title>PatchMon dashboard not built</title>",
				"API and agent endpoints work",
				"<code>make web</code>",
				"Node.js 20 or newer and npm",
				"Rebuild the server",
			} {
				if !strings.Contains(res.body, want) {
					t.Errorf("body lacks %q", want)
				}
			}
		})
	}

	api := do(t, h, http.MethodGet, "/api/v1/hosts", nil)
	if api.status != http.StatusNotFound || api.header.Get("Content-Type") != "application/json" {
		t.Errorf("GET /api/v1/hosts: status %d, Content-Type %q; want a JSON 404", api.status, api.header.Get("Content-Type"))
	}

	head := do(t, h, http.MethodHead, "/", nil)
	if head.status != http.StatusOK || head.body != "" {
		t.Errorf("HEAD /: status %d, body %q; want 200 and no body", head.status, head.body)
	}
}

// TestHandler checks the embedded files, whichever state this checkout is in.
func TestHandler(t *testing.T) {
	t.Parallel()
	res := do(t, Handler(), http.MethodGet, "/", nil)
	if res.status != http.StatusOK {
		t.Fatalf("GET /: status = %d, want 200", res.status)
	}
	notBuilt := strings.Contains(res.body, "PatchMon dashboard not built")
	if Built() == notBuilt {
		t.Errorf("Built() = %v, but GET / served the not-built page: %v", Built(), notBuilt)
	}
	if Built() && res.header.Get("Cache-Control") != "no-cache" {
		t.Errorf("built index: Cache-Control = %q, want no-cache", res.header.Get("Cache-Control"))
	}
}
