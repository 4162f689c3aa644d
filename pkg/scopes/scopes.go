package scopes

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
)

// Resources of the catalogue.
const (
	ResourceHost       = "host"
	ResourcePackage    = "package"
	ResourceHostGroup  = "host_group"
	ResourceCompliance = "compliance"
)

// Actions of the catalogue. The host resource has all of them; the fleet resources only
// get.
const (
	ActionGet    = "get"
	ActionPut    = "put"
	ActionPatch  = "patch"
	ActionUpdate = "update"
	ActionDelete = "delete"
)

// Action is one grantable action of a resource.
type Action struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// Resource is one entry of the catalogue.
type Resource struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Actions     []Action `json:"actions"`
}

// catalogue is the fixed list of grantable scopes, in display order.
var catalogue = []Resource{
	{Name: ResourceHost, Description: "Hosts and everything reported about them", Actions: []Action{
		{ActionGet, "Read host data (list hosts, view details, stats, packages, network, system, reports, notes, integrations)"},
		{ActionPut, "Replace host data"},
		{ActionPatch, "Partially update host data"},
		{ActionUpdate, "General update operations"},
		{ActionDelete, "Delete hosts"},
	}},
	{Name: ResourcePackage, Description: "The fleet's package catalogue and the hosts that have each package", Actions: []Action{
		{ActionGet, "List packages with update counts and see which hosts have a package"},
	}},
	{Name: ResourceHostGroup, Description: "Host groups", Actions: []Action{
		{ActionGet, "List host groups with their host counts"},
	}},
	{Name: ResourceCompliance, Description: "Compliance scan results", Actions: []Action{
		{ActionGet, "Read compliance scores and scan results (endpoints arrive with compliance scanning)"},
	}},
}

// Catalogue returns every grantable resource with its actions, in display order. The
// result is a copy.
func Catalogue() []Resource {
	out := make([]Resource, len(catalogue))
	for i, r := range catalogue {
		out[i] = r
		out[i].Actions = slices.Clone(r.Actions)
	}
	return out
}

func lookup(resource string) (Resource, bool) {
	for _, r := range catalogue {
		if r.Name == resource {
			return r, true
		}
	}
	return Resource{}, false
}

func (r Resource) has(action string) bool {
	for _, a := range r.Actions {
		if a.Name == action {
			return true
		}
	}
	return false
}

func (r Resource) actionNames() []string {
	names := make([]string, len(r.Actions))
	for i, a := range r.Actions {
		names[i] = a.Name
	}
	return names
}

// Scope is one resource/action pair, written "resource:action".
type Scope struct {
	Resource string
	Action   string
}

func (s Scope) String() string { return s.Resource + ":" + s.Action }

// Parse reads "resource:action" and checks it against the catalogue.
func Parse(s string) (Scope, error) {
	res, act, ok := strings.Cut(s, ":")
	if !ok || res == "" || act == "" {
		return Scope{}, fmt.Errorf("scope %q: want resource:action", s)
	}
	r, known := lookup(res)
	if !known {
		return Scope{}, fmt.Errorf("scope %q: unknown resource %q", s, res)
	}
	if !r.has(act) {
		return Scope{}, fmt.Errorf("scope %q: resource %s has no action %q", s, res, act)
	}
	return Scope{Resource: res, Action: act}, nil
}

// MustParse is Parse for scopes fixed in code; it panics on a bad scope.
func MustParse(s string) Scope {
	sc, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return sc
}

// Set is the grants of one credential: resource → actions. It has the JSON shape stored
// with the credential and shown by the API, {"host": ["get"]}.
type Set map[string][]string

// Validate checks a credential's grants: at least one resource, every resource and
// action in the catalogue, at least one action per resource, no wildcards and no
// duplicates. The error message is meant for the client.
func Validate(set map[string][]string) error {
	if len(set) == 0 {
		return errors.New("At least one scope is required for API credentials")
	}
	names := make([]string, 0, len(set))
	for res := range set {
		names = append(names, res)
	}
	sort.Strings(names) // deterministic first message
	for _, res := range names {
		acts := set[res]
		if res == "*" {
			return errors.New("Wildcard scopes are not allowed: grant each resource explicitly")
		}
		r, ok := lookup(res)
		if !ok {
			return fmt.Errorf("Unknown scope resource %q (known: %s)", res, strings.Join(resourceNames(), ", "))
		}
		if len(acts) == 0 {
			return fmt.Errorf("Scope %s must grant at least one action", res)
		}
		seen := make(map[string]bool, len(acts))
		for _, a := range acts {
			switch {
			case a == "*" || strings.ContainsAny(a, "*?"):
				return fmt.Errorf("Wildcard actions are not allowed: grant each action of %s explicitly", res)
			case !r.has(a):
				return fmt.Errorf("Unknown action %q for scope %s (allowed: %s)", a, res, strings.Join(r.actionNames(), ", "))
			case seen[a]:
				return fmt.Errorf("Action %q is listed twice for scope %s", a, res)
			}
			seen[a] = true
		}
	}
	return nil
}

func resourceNames() []string {
	names := make([]string, len(catalogue))
	for i, r := range catalogue {
		names[i] = r.Name
	}
	return names
}

// Normalize returns the grants with each resource's actions in catalogue order, so that
// equal grants compare and serialise equally. Unknown entries are kept in name order.
func Normalize(set map[string][]string) Set {
	out := make(Set, len(set))
	for res, acts := range set {
		r, ok := lookup(res)
		sorted := slices.Clone(acts)
		if ok {
			order := r.actionNames()
			sort.SliceStable(sorted, func(i, j int) bool {
				return rank(order, sorted[i]) < rank(order, sorted[j])
			})
		} else {
			sort.Strings(sorted)
		}
		out[res] = slices.Compact(sorted)
	}
	return out
}

func rank(order []string, a string) int {
	if i := slices.Index(order, a); i >= 0 {
		return i
	}
	return len(order)
}

// Allows reports whether set grants need. Only an exact resource and action match
// counts.
func Allows(set map[string][]string, need Scope) bool {
	return slices.Contains(set[need.Resource], need.Action)
}

// Denied is the 403 of a missing scope. Its JSON form is
// {"error": "Access denied", "message": Message, "code": Code}.
type Denied struct {
	// Code is CodeNoAccess (the resource is not granted at all) or CodeNoPermission
	// (the resource is, but not this action).
	Code    string
	Message string
}

// Error codes of Denied.
const (
	CodeNoAccess     = "api_scope_no_access"
	CodeNoPermission = "api_scope_no_permission"
)

// DeniedError is the "error" text of every Denied answer.
const DeniedError = "Access denied"

// Status is the HTTP status of a denial.
func (d *Denied) Status() int { return http.StatusForbidden }

func (d *Denied) Error() string { return DeniedError + ": " + d.Message }

// Check returns nil when set grants need, else a *Denied with the documented message:
// "This API key does not have access to {resource}" when the resource is not granted at
// all, "This API key does not have permission to {action} {resource}" when it is but the
// action is not.
func Check(set map[string][]string, need Scope) error {
	acts, ok := set[need.Resource]
	if !ok || len(acts) == 0 {
		return &Denied{Code: CodeNoAccess, Message: "This API key does not have access to " + need.Resource}
	}
	if !slices.Contains(acts, need.Action) {
		return &Denied{Code: CodeNoPermission,
			Message: "This API key does not have permission to " + need.Action + " " + need.Resource}
	}
	return nil
}
