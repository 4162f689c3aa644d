package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/patchmon-go/patchmon/web"
)

// The dashboard is the fallback route: API, agent and health routes are
// registered first and take precedence, and every other page path reaches the
// dashboard (or, in a binary built without it, the page explaining how to
// build it).
func ExampleHandler() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "healthy")
	})
	mux.Handle("/", web.Handler())

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/hosts", nil))
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	// Output: 200 text/html; charset=utf-8
}
