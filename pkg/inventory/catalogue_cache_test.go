package inventory_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The server remembers which catalogue row each package name is. A row deleted behind
// its back (orphan cleanup) and created again under a new id must not break the next
// report that names the package: that report succeeds and points at the new row.
func TestCatalogueCacheSurvivesDeletedPackages(t *testing.T) {
	t.Parallel()
	e := setup(t)
	a, b := e.newHost("cache-a"), e.newHost("cache-b")
	pkgs := packages(20, "cache-")
	require.Equal(t, http.StatusOK, e.do(&a, "POST", "/api/v1/hosts/update", fullReport(pkgs)).status)

	// Host a drops every package; the catalogue rows become orphans and are removed.
	_, err := e.pool.Exec(t.Context(), `DELETE FROM host_packages WHERE host_id = $1`, a.id)
	require.NoError(t, err)
	_, err = e.pool.Exec(t.Context(), `DELETE FROM packages WHERE name LIKE 'cache-%'`)
	require.NoError(t, err)

	resp := e.do(&b, "POST", "/api/v1/hosts/update", fullReport(pkgs))
	require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
	assert.Equal(t, 20, e.count(`SELECT count(*) FROM host_packages hp JOIN packages p ON p.id = hp.package_id
		WHERE hp.host_id = $1 AND p.name LIKE 'cache-%'`, b.id))
	assert.Equal(t, 20, e.count(`SELECT count(*) FROM packages WHERE name LIKE 'cache-%'`))
	assert.Equal(t, 0, e.count(`SELECT count(*) FROM update_history WHERE host_id = $1 AND status <> 'success'`, b.id))
}

// A cached row can be older than the database (another replica raised the latest
// version or filled in the description); ingest never writes the older values back.
func TestCatalogueCacheNeverLowersTheCatalogue(t *testing.T) {
	t.Parallel()
	e := setup(t)
	a, b := e.newHost("lower-a"), e.newHost("lower-b")
	pkgs := packages(1, "lower-")
	pkgs[0].CurrentVersion, pkgs[0].NeedsUpdate, pkgs[0].AvailableVersion = "1.0-1", false, ""
	require.Equal(t, http.StatusOK, e.do(&a, "POST", "/api/v1/hosts/update", fullReport(pkgs)).status)

	_, err := e.pool.Exec(t.Context(), `UPDATE packages SET latest_version = '3.0-1', description = 'from elsewhere' WHERE name = 'lower-pkg-00000'`)
	require.NoError(t, err)

	pkgs[0].NeedsUpdate, pkgs[0].AvailableVersion = true, "2.0-1"
	pkgs[0].Description = "a different description"
	resp := e.do(&b, "POST", "/api/v1/hosts/update", fullReport(pkgs))
	require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
	var latest, desc string
	require.NoError(t, e.pool.QueryRow(t.Context(), `SELECT latest_version, description FROM packages WHERE name = 'lower-pkg-00000'`).Scan(&latest, &desc))
	assert.Equal(t, "3.0-1", latest)
	assert.Equal(t, "from elsewhere", desc)

	// And a newer version than the database knows still raises it.
	pkgs[0].AvailableVersion = "4.0-1"
	require.Equal(t, http.StatusOK, e.do(&a, "POST", "/api/v1/hosts/update", fullReport(pkgs)).status)
	require.NoError(t, e.pool.QueryRow(t.Context(), `SELECT latest_version FROM packages WHERE name = 'lower-pkg-00000'`).Scan(&latest))
	assert.Equal(t, "4.0-1", latest)
}
