package httpx

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingBody records how much of a request body has been read.
type countingBody struct {
	r    io.Reader
	read int
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += n
	return n, err
}

func (c *countingBody) Close() error { return nil }

// TestValidationLeavesUncheckedBodiesToTheHandler: an operation with security requirements
// and a body without a schema reaches its handler with the body unread (the validator
// neither buffers it for its security step nor for a schema it does not have), while a
// body with a schema is still read and checked.
func TestValidationLeavesUncheckedBodiesToTheHandler(t *testing.T) {
	const spec = `
openapi: 3.0.3
info: {title: t, version: "1"}
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-Key}
security:
  - key: []
paths:
  /api/v1/stream:
    post:
      operationId: postStream
      requestBody:
        required: true
        content:
          "*/*": {}
      responses: {"200": {description: ok}}
  /api/v1/checked:
    post:
      operationId: postChecked
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, required: [name], properties: {name: {type: string}}}
      responses: {"200": {description: ok}}
`
	doc, err := openapi3.NewLoader().LoadFromData([]byte(spec))
	require.NoError(t, err)
	require.NoError(t, doc.Validate(t.Context()))
	rt, err := NewRouter(RouterConfig{Spec: doc})
	require.NoError(t, err)

	var body *countingBody
	var readBefore int
	handler := func(w http.ResponseWriter, r *http.Request) {
		readBefore = body.read
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}
	rt.HandleFunc("POST /api/v1/stream", handler)
	rt.HandleFunc("POST /api/v1/checked", handler)

	send := func(path, payload string) int {
		body = &countingBody{r: strings.NewReader(payload)}
		r := httptest.NewRequest(http.MethodPost, path, nil)
		r.Body, r.ContentLength = body, int64(len(payload))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		rt.ServeHTTP(w, r)
		return w.Code
	}
	payload := `{"name":"` + strings.Repeat("x", 4096) + `"}`
	require.Equal(t, http.StatusNoContent, send("/api/v1/stream", payload))
	assert.Zero(t, readBefore, "the schema-less body reached the handler unread")
	assert.Equal(t, len(payload), body.read)

	require.Equal(t, http.StatusNoContent, send("/api/v1/checked", payload))
	assert.Equal(t, len(payload), readBefore, "a body with a schema is read for validation")
	assert.Equal(t, http.StatusBadRequest, send("/api/v1/checked", `{"other":1}`))
}
