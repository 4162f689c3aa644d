package dashboard_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/pkg/dashboard"
)

func TestNormalizeLayout(t *testing.T) {
	t.Parallel()
	got, err := dashboard.NormalizeLayout([]dashboard.Preference{
		{CardID: "recentActivity", Enabled: true, Order: 7},
		{CardID: "totalHosts", Enabled: true, Order: 3},
		{CardID: "offlineHosts", Enabled: false, Order: 3}, // a tie keeps list order
	})
	require.NoError(t, err)
	require.Len(t, got, len(dashboard.Cards), "every known card is stored")
	assert.Equal(t, dashboard.Preference{CardID: "totalHosts", Enabled: true, Order: 0}, got[0])
	assert.Equal(t, dashboard.Preference{CardID: "offlineHosts", Enabled: false, Order: 1}, got[1])
	assert.Equal(t, dashboard.Preference{CardID: "recentActivity", Enabled: true, Order: 2}, got[2])
	for i, p := range got[3:] {
		assert.False(t, p.Enabled, "cards left out are hidden: %s", p.CardID)
		assert.Equal(t, i+3, p.Order)
	}

	empty, err := dashboard.NormalizeLayout(nil)
	require.NoError(t, err)
	assert.Len(t, empty, len(dashboard.Cards), "an empty layout hides everything")

	for _, bad := range [][]dashboard.Preference{
		{{CardID: "nope"}},
		{{CardID: ""}},
		{{CardID: "totalHosts"}, {CardID: "totalHosts"}},
		{{CardID: "totalHosts", Order: -1}},
	} {
		_, err := dashboard.NormalizeLayout(bad)
		var le *dashboard.LayoutError
		assert.ErrorAs(t, err, &le, "%+v", bad)
	}
}

func TestDefaultLayoutAndCatalogue(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, c := range dashboard.Cards {
		assert.False(t, seen[c.ID], "card %s listed twice", c.ID)
		seen[c.ID] = true
		assert.NotEmpty(t, c.Title)
	}
	def := dashboard.DefaultLayout()
	require.Len(t, def, len(dashboard.Cards))
	for i, p := range def {
		assert.Equal(t, i, p.Order)
	}
	_, _, ok := dashboard.Range("1y").Span()
	assert.False(t, ok)
	_, bucket, ok := dashboard.Range24h.Span()
	assert.True(t, ok)
	assert.Equal(t, "30m0s", bucket.String())
}
