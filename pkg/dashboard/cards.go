package dashboard

// Card is one dashboard card a layout may show.
type Card struct {
	ID          string
	Title       string
	Description string
	// Default says whether the default layout shows it.
	Default bool
}

// Cards is the catalogue, in default order. Ids follow upstream PatchMon where a card
// exists there.
var Cards = []Card{
	{"totalHosts", "Total Hosts", "Every enrolled host.", true},
	{"hostsNeedingUpdates", "Needs Updating", "Hosts with at least one outdated package.", true},
	{"securityUpdates", "Security Updates", "Packages with a security update, and the hosts that need one.", true},
	{"upToDateHosts", "Up to Date", "Hosts that have reported and have nothing to update.", true},
	{"hostsNeedingReboot", "Needs Reboots", "Hosts whose last report asked for a reboot.", true},
	{"offlineHosts", "Offline", "Hosts that stopped checking in.", true},
	{"pendingHosts", "Pending", "Enrolled hosts whose agent has not reported yet.", false},
	{"totalOutdatedPackages", "Outdated Packages", "Distinct packages with an update on some host.", false},
	{"osDistribution", "OS Distribution", "Hosts per operating system and version.", true},
	{"updateTrends", "Update Trends", "Hosts needing updates and security updates over time.", true},
	{"recentActivity", "Recent Activity", "The newest agent reports.", true},
	{"serverHealth", "Server Health", "Whether the server, its database and Redis are up.", true},
}

func cardIndex(id string) int {
	for i, c := range Cards {
		if c.ID == id {
			return i
		}
	}
	return -1
}
