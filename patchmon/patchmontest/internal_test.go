package patchmontest

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

func TestWithDatabase(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
			"postgres://postgres@127.0.0.1:5432/pmt_x?sslmode=disable"},
		{"postgresql://u:p@db/admin?dbname=admin&sslmode=require",
			"postgresql://u:p@db/pmt_x?sslmode=require"},
		{"postgres://postgres@/postgres?host=%2Ftmp%2Fsock&port=5432",
			"postgres://postgres@/pmt_x?host=%2Ftmp%2Fsock&port=5432"},
		{"host=127.0.0.1 user=postgres dbname=postgres",
			"host=127.0.0.1 user=postgres dbname=postgres dbname=pmt_x"},
	}
	for _, tt := range tests {
		got, err := withDatabase(tt.in, "pmt_x")
		require.NoError(t, err)
		require.Equal(t, tt.want, got)
		cfg, err := pgx.ParseConfig(got)
		require.NoError(t, err)
		require.Equal(t, "pmt_x", cfg.Database, "pgx reads %s", got)
	}
}

func TestNameFor(t *testing.T) {
	t.Parallel()
	t.Run("Mixed Case/and spaces!", func(t *testing.T) {
		require.Equal(t, "testnamefor_mixed_case_and_spaces", nameFor(t, 40))
		got := nameFor(t, 10)
		require.LessOrEqual(t, len(got), 10)
		require.True(t, strings.HasSuffix("testnamefor_mixed_case_and_spaces", got))
	})
}
