package users

import "slices"

// Permission names, as used in x-permission and in the role_permissions table.
const (
	PermViewDashboard    = "can_view_dashboard"
	PermViewHosts        = "can_view_hosts"
	PermManageHosts      = "can_manage_hosts"
	PermViewPackages     = "can_view_packages"
	PermManagePackages   = "can_manage_packages"
	PermViewUsers        = "can_view_users"
	PermManageUsers      = "can_manage_users"
	PermManageSuperusers = "can_manage_superusers"
	PermViewReports      = "can_view_reports"
	PermExportData       = "can_export_data"
	PermManageSettings   = "can_manage_settings"
	PermManageAutomation = "can_manage_automation"
	PermUseRemoteAccess  = "can_use_remote_access"
	PermViewCompliance   = "can_view_compliance"
	PermManageCompliance = "can_manage_compliance"
	PermManageAlerts     = "can_manage_alerts"
	PermViewAlerts       = "can_view_alerts"
)

// Built-in role names. They cannot be deleted; superadmin always holds every permission.
const (
	RoleSuperAdmin  = "superadmin"
	RoleAdmin       = "admin"
	RoleHostManager = "host_manager"
	RoleUser        = "user"
	RoleReadonly    = "readonly"
)

// BuiltinRoles lists the built-in roles from most to least privileged.
var BuiltinRoles = []string{RoleSuperAdmin, RoleAdmin, RoleHostManager, RoleUser, RoleReadonly}

// PermissionInfo describes one permission and who holds it by default.
type PermissionInfo struct {
	Name        string
	Description string
	// Defaults are the built-in roles granted the permission when the server first
	// learns of it. Superadmin is implied.
	Defaults []string
}

var (
	allButReadonly = []string{RoleAdmin, RoleHostManager, RoleUser}
	everyone       = []string{RoleAdmin, RoleHostManager, RoleUser, RoleReadonly}
	managers       = []string{RoleAdmin, RoleHostManager}
	adminsOnly     = []string{RoleAdmin}
)

// catalogue is the one list of permissions. A feature that needs a new permission adds
// it here with its default grants; the server records it and grants the defaults once,
// at the next start, without touching edits administrators made to existing ones.
var catalogue = []PermissionInfo{
	{PermViewDashboard, "View the dashboard and fleet statistics", everyone},
	{PermViewHosts, "View hosts, host groups and their details", everyone},
	{PermManageHosts, "Add, change and remove hosts and host groups; run agent actions", managers},
	{PermViewPackages, "View packages, updates and repositories", everyone},
	{PermManagePackages, "Change packages and repositories; start patching", managers},
	{PermViewUsers, "View users, roles and the audit log", adminsOnly},
	{PermManageUsers, "Create, change and remove users", adminsOnly},
	{PermManageSuperusers, "Create, change and remove super admins", nil},
	{PermViewReports, "View reports", everyone},
	{PermExportData, "Export data", allButReadonly},
	{PermManageSettings, "Change server settings, roles and the permission matrix", adminsOnly},
	{PermManageAutomation, "Manage background jobs and schedules", adminsOnly},
	{PermUseRemoteAccess, "Open remote terminals on hosts", managers},
	{PermViewCompliance, "View compliance scans and results", everyone},
	{PermManageCompliance, "Run compliance scans and manage profiles", managers},
	{PermManageAlerts, "Manage alerts and notification channels", adminsOnly},
	{PermViewAlerts, "View alerts, their history and the alert configuration", everyone},
}

// Catalogue returns every permission the server knows, in display order.
func Catalogue() []PermissionInfo {
	out := make([]PermissionInfo, len(catalogue))
	for i, p := range catalogue {
		p.Defaults = slices.Clone(p.Defaults)
		out[i] = p
	}
	return out
}

// PermissionNames returns the names of every known permission, in display order.
func PermissionNames() []string {
	out := make([]string, len(catalogue))
	for i, p := range catalogue {
		out[i] = p.Name
	}
	return out
}

// IsPermission reports whether name is a known permission.
func IsPermission(name string) bool {
	for _, p := range catalogue {
		if p.Name == name {
			return true
		}
	}
	return false
}

// DefaultGrant reports whether the built-in role holds perm in the default matrix.
func DefaultGrant(role, perm string) bool {
	if role == RoleSuperAdmin {
		return IsPermission(perm)
	}
	for _, p := range catalogue {
		if p.Name == perm {
			return slices.Contains(p.Defaults, role)
		}
	}
	return false
}

// IsBuiltinRole reports whether role is one of the built-in roles.
func IsBuiltinRole(role string) bool { return slices.Contains(BuiltinRoles, role) }
