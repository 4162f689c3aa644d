package notify_test

import (
	"mime"
	"testing"

	"github.com/stretchr/testify/require"
)

type mimeDecoder struct{ mime.WordDecoder }

func (d *mimeDecoder) decode(t *testing.T, v string) string {
	t.Helper()
	s, err := d.DecodeHeader(v)
	require.NoError(t, err)
	return s
}
