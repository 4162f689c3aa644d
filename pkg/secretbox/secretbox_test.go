package secretbox_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/pkg/secretbox"
)

const hexKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

func sum(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

func TestKeyChain(t *testing.T) {
	t.Parallel()
	raw, _ := hex.DecodeString(hexKey)
	for _, tc := range []struct {
		name   string
		cfg    secretbox.Config
		source secretbox.Source
		key    []byte
		warn   string
	}{
		{"hex key used as is", secretbox.Config{AIEncryptionKey: hexKey, SessionSecret: "s", DatabaseURL: "postgres://x"}, secretbox.SourceAIEncryptionKey, raw, ""},
		{"other strings hashed", secretbox.Config{AIEncryptionKey: "passphrase"}, secretbox.SourceAIEncryptionKey, sum("passphrase"), ""},
		{"session secret next", secretbox.Config{SessionSecret: "sess", DatabaseURL: "postgres://x"}, secretbox.SourceSessionSecret, sum("sess"), ""},
		{"database url with warning", secretbox.Config{DatabaseURL: "postgres://x"}, secretbox.SourceDatabaseURL, sum("postgres://x"), "derived from DATABASE_URL"},
		{"ephemeral with warning", secretbox.Config{}, secretbox.SourceEphemeral, nil, "ephemeral key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			tc.cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			b, err := secretbox.New(tc.cfg)
			require.NoError(t, err)
			assert.Equal(t, tc.source, b.Source())
			if tc.key != nil {
				assert.Equal(t, tc.key, b.Key())
			} else {
				assert.Len(t, b.Key(), 32)
			}
			if tc.warn == "" {
				assert.Empty(t, logs.String())
			} else {
				assert.Contains(t, logs.String(), "level=WARN")
				assert.Contains(t, logs.String(), tc.warn)
			}
		})
	}
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	b, err := secretbox.New(secretbox.Config{AIEncryptionKey: hexKey})
	require.NoError(t, err)
	sealed, err := b.SealString("hunter2", "ctx:1")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(sealed, "pmsb1."))
	assert.NotContains(t, sealed, "hunter2")
	again, _ := b.SealString("hunter2", "ctx:1")
	assert.NotEqual(t, sealed, again, "a fresh nonce every time")

	got, err := b.OpenString(sealed, "ctx:1")
	require.NoError(t, err)
	assert.Equal(t, "hunter2", got)

	_, err = b.OpenString(sealed, "ctx:2")
	assert.ErrorIs(t, err, secretbox.ErrDecrypt, "bound to its context")
	tampered := sealed[:len(sealed)-2] + "AA"
	if tampered == sealed {
		tampered = sealed[:len(sealed)-2] + "BB"
	}
	_, err = b.OpenString(tampered, "ctx:1")
	assert.Error(t, err)
	_, err = b.OpenString("plain text", "ctx:1")
	assert.ErrorIs(t, err, secretbox.ErrFormat)
	assert.False(t, b.NeedsReseal(sealed))
}

func TestOpenAfterKeyChanges(t *testing.T) {
	t.Parallel()
	// Sealed while the key came from DATABASE_URL ...
	old, err := secretbox.New(secretbox.Config{DatabaseURL: "postgres://db/patchmon"})
	require.NoError(t, err)
	sealed, err := old.SealString("token", "c")
	require.NoError(t, err)

	// ... still opens once AI_ENCRYPTION_KEY is set with the same DATABASE_URL.
	now, err := secretbox.New(secretbox.Config{AIEncryptionKey: hexKey, DatabaseURL: "postgres://db/patchmon"})
	require.NoError(t, err)
	got, err := now.OpenString(sealed, "c")
	require.NoError(t, err)
	assert.Equal(t, "token", got)
	assert.True(t, now.NeedsReseal(sealed))

	// A rotated AI_ENCRYPTION_KEY opens old values only when listed as previous.
	rotated, err := secretbox.New(secretbox.Config{AIEncryptionKey: "new key"})
	require.NoError(t, err)
	s2, _ := now.SealString("x", "c")
	_, err = rotated.OpenString(s2, "c")
	assert.ErrorIs(t, err, secretbox.ErrUnknownKey)
	withPrev, err := secretbox.New(secretbox.Config{AIEncryptionKey: "new key", PreviousKeys: []string{hexKey}})
	require.NoError(t, err)
	got, err = withPrev.OpenString(s2, "c")
	require.NoError(t, err)
	assert.Equal(t, "x", got)
}

func FuzzOpen(f *testing.F) {
	b, _ := secretbox.New(secretbox.Config{AIEncryptionKey: hexKey})
	s, _ := b.SealString("v", "c")
	f.Add(s)
	f.Add("pmsb1.00000000.AAAA")
	f.Fuzz(func(t *testing.T, in string) {
		_, _ = b.OpenString(in, "c")
	})
}
