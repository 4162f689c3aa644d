package dbmigrate_test

import (
	"context"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
	"github.com/patchmon-go/patchmon/pkg/dbmigrate"
)

func TestMain(m *testing.M) { patchmontest.Main(m) }

func newPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), patchmontest.DatabaseURL(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

func TestUpIsIdempotent(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	m, err := dbmigrate.New(pool, dbmigrate.Config{})
	require.NoError(t, err)

	st, err := m.Status(t.Context())
	require.NoError(t, err)
	assert.Equal(t, len(m.Migrations())+st.RiverLatest, st.Pending(), "a fresh database has everything pending")

	applied, err := m.Up(t.Context())
	require.NoError(t, err)
	assert.Len(t, applied, len(m.Migrations()))

	applied, err = m.Up(t.Context())
	require.NoError(t, err)
	assert.Empty(t, applied, "a second run applies nothing")

	st, err = m.Status(t.Context())
	require.NoError(t, err)
	assert.Zero(t, st.Pending())
	assert.Equal(t, st.RiverLatest, st.RiverCurrent)
	for _, a := range st.Migrations {
		assert.NotNil(t, a.AppliedAt)
		assert.False(t, a.Modified)
	}
}

func TestConcurrentMigratorsApplyOnce(t *testing.T) {
	t.Parallel()
	url := patchmontest.DatabaseURL(t)
	const n = 4
	var wg sync.WaitGroup
	results := make([][]dbmigrate.Migration, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Separate pools, as separate replicas would have.
			pool, err := pgxpool.New(context.Background(), url)
			if err != nil {
				errs[i] = err
				return
			}
			defer pool.Close()
			m, err := dbmigrate.New(pool, dbmigrate.Config{})
			if err != nil {
				errs[i] = err
				return
			}
			results[i], errs[i] = m.Up(context.Background())
		}()
	}
	wg.Wait()
	total := 0
	for i := range n {
		require.NoError(t, errs[i])
		total += len(results[i])
	}
	pool := newPoolFor(t, url)
	m, _ := dbmigrate.New(pool, dbmigrate.Config{})
	assert.Equal(t, len(m.Migrations()), total, "each migration applied by exactly one migrator")
	var rows int
	require.NoError(t, pool.QueryRow(t.Context(), "SELECT count(*) FROM schema_migrations").Scan(&rows))
	assert.Equal(t, len(m.Migrations()), rows)
}

func newPoolFor(t *testing.T, url string) *pgxpool.Pool {
	pool, err := pgxpool.New(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

func TestFailedMigrationRollsBackAndIsRetried(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	broken := fstest.MapFS{
		"0001_first.sql":  {Data: []byte(`CREATE TABLE first (id int);`)},
		"0002_second.sql": {Data: []byte(`CREATE TABLE second (id int); INSERT INTO second VALUES (1); SELECT no_such_function();`)},
	}
	m, err := dbmigrate.New(pool, dbmigrate.Config{FS: broken, SkipRiver: true})
	require.NoError(t, err)
	applied, err := m.Up(t.Context())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "0002_second failed and was rolled back")
	require.Len(t, applied, 1)

	var exists bool
	require.NoError(t, pool.QueryRow(t.Context(), "SELECT to_regclass('second') IS NOT NULL").Scan(&exists))
	assert.False(t, exists, "nothing of the failed migration survives")
	st, err := m.Status(t.Context())
	require.NoError(t, err)
	assert.NotNil(t, st.Migrations[0].AppliedAt)
	assert.Nil(t, st.Migrations[1].AppliedAt, "the failed migration is still pending, not dirty")

	fixed := fstest.MapFS{
		"0001_first.sql":  broken["0001_first.sql"],
		"0002_second.sql": {Data: []byte(`CREATE TABLE second (id int); INSERT INTO second VALUES (1);`)},
	}
	m, err = dbmigrate.New(pool, dbmigrate.Config{FS: fixed, SkipRiver: true})
	require.NoError(t, err)
	applied, err = m.Up(t.Context())
	require.NoError(t, err)
	require.Len(t, applied, 1)
	assert.Equal(t, 2, applied[0].Version)
}

func TestStatusDetectsEditedMigration(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	v1 := fstest.MapFS{"0001_a.sql": {Data: []byte(`CREATE TABLE a (id int);`)}}
	m, _ := dbmigrate.New(pool, dbmigrate.Config{FS: v1, SkipRiver: true})
	_, err := m.Up(t.Context())
	require.NoError(t, err)
	v2 := fstest.MapFS{"0001_a.sql": {Data: []byte(`CREATE TABLE a (id bigint);`)}}
	m, _ = dbmigrate.New(pool, dbmigrate.Config{FS: v2, SkipRiver: true})
	st, err := m.Status(t.Context())
	require.NoError(t, err)
	assert.True(t, st.Migrations[0].Modified)
}

func TestLoadRejectsBadFileSets(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"gap":       {"0001_a.sql": {}, "0003_c.sql": {}},
		"duplicate": {"0001_a.sql": {}, "0001_b.sql": {}},
		"bad name":  {"first.sql": {}},
	} {
		_, err := dbmigrate.Load(fsys)
		assert.Error(t, err, name)
	}
	list, err := dbmigrate.Load(fstest.MapFS{"0002_b.sql": {}, "0001_a.sql": {}, "README": {}})
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, "a", list[0].Name)
}
