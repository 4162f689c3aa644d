package dashboard_test

import (
	"fmt"

	"github.com/patchmon-go/patchmon/pkg/dashboard"
)

func ExampleNormalizeLayout() {
	layout, err := dashboard.NormalizeLayout([]dashboard.Preference{
		{CardID: "offlineHosts", Enabled: true, Order: 0},
		{CardID: "totalHosts", Enabled: true, Order: 1},
	})
	fmt.Println(err, len(layout) == len(dashboard.Cards))
	fmt.Println(layout[0], layout[1], layout[2].Enabled)

	_, err = dashboard.NormalizeLayout([]dashboard.Preference{{CardID: "weather"}})
	fmt.Println(err)
	// Output:
	// <nil> true
	// {offlineHosts true 0} {totalHosts true 1} false
	// Unknown dashboard card: weather
}
