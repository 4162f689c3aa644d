package agentproto

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors of [Report.Validate]. Validate wraps each in a
// [*ValidationError] that names the offending field; test with errors.Is.
var (
	// ErrNoPackages: the report applies the packages section (a full report,
	// or a partial one listing packages) but carries no package. Applying it
	// would wipe the host's inventory, and no real host has zero packages.
	ErrNoPackages = errors.New("no packages")
	// ErrTooManyPackages: more than MaxPackages packages.
	ErrTooManyPackages = errors.New("too many packages")
	// ErrUnknownSection: a sections entry that is not a report section.
	ErrUnknownSection = errors.New("unknown section")
	// ErrPackageName: a package without a name.
	ErrPackageName = errors.New("package name is required")
)

// ValidationError says which part of a report is invalid and why. Its
// message is stable and safe to return to the agent in a 400 body.
type ValidationError struct {
	// Field is the JSON path of the offending value, e.g. "packages[3].name".
	Field string
	// Err is one of the Err… sentinels of this package.
	Err error
	// Detail adds specifics to Err's text; it may be empty.
	Detail string
}

func (e *ValidationError) Error() string {
	if e.Detail == "" {
		return e.Field + ": " + e.Err.Error()
	}
	return e.Field + ": " + e.Err.Error() + ": " + e.Detail
}

func (e *ValidationError) Unwrap() error { return e.Err }

// IsPartial reports whether r is a partial report, i.e. lists sections.
func (r *Report) IsPartial() bool { return len(r.Sections) > 0 }

// Has reports whether r applies the named section: a full report applies all
// four report sections, a partial one only those it lists. Docker and
// compliance never travel in a report, so Has is false for them.
func (r *Report) Has(section string) bool {
	if !IsReportSection(section) {
		return false
	}
	if !r.IsPartial() {
		return true
	}
	for _, s := range r.Sections {
		if s == section {
			return true
		}
	}
	return false
}

// Validate checks r against the protocol's rules and returns the first
// violation as a [*ValidationError], or nil. It checks only what r applies
// (see [Report.Has]): a partial report's other fields are ignored, as the
// protocol requires, never rejected. Rules, in order:
//   - every sections entry is a report section (packages, repos,
//     interfaces, hostname);
//   - when packages are applied: at least one, at most MaxPackages, and
//     each has a non-blank name.
//
// Validate does not modify r; call [Report.Sanitize] as well, since invalid
// UTF-8 and NUL bytes are cleaned, not rejected.
func (r *Report) Validate() error {
	for i, s := range r.Sections {
		if !IsReportSection(s) {
			return &ValidationError{
				Field:  fmt.Sprintf("sections[%d]", i),
				Err:    ErrUnknownSection,
				Detail: fmt.Sprintf("%q is not one of packages, repos, interfaces, hostname", s),
			}
		}
	}
	if r.Has(SectionPackages) {
		switch n := len(r.Packages); {
		case n == 0 && r.IsPartial():
			return &ValidationError{Field: "packages", Err: ErrNoPackages, Detail: "sections lists packages but the packages array is empty"}
		case n == 0:
			return &ValidationError{Field: "packages", Err: ErrNoPackages, Detail: "a full report must contain at least one package"}
		case n > MaxPackages:
			return &ValidationError{Field: "packages", Err: ErrTooManyPackages, Detail: fmt.Sprintf("%d, the maximum is %d", n, MaxPackages)}
		}
		for i := range r.Packages {
			if strings.TrimSpace(r.Packages[i].Name) == "" {
				return &ValidationError{Field: fmt.Sprintf("packages[%d].name", i), Err: ErrPackageName}
			}
		}
	}
	return nil
}

// StaleSections returns, in canonical order (packages, repos, interfaces,
// hostname, docker, compliance), the sections whose stored hash is missing or
// differs from the one the agent reported — the requestFull list of a ping
// response. The result is never nil.
//
// A section is fresh only when the stored hash is non-empty and equal to the
// reported one; everything else is stale, including a reported hash that is
// empty. That is the protocol's wording taken literally (an empty reported
// hash differs from a stored one) and what the stock agent relies on: it
// sends no docker or compliance hash until it has uploaded that data once in
// its current process, and expects the server to ask for it, so after an agent
// restart treating an empty hash as fresh would leave the section unrefreshed
// until the agent's daily forced full report.
//
// Docker and compliance are listed like the others; a server removes them
// when the integration is off for the host, since asking for them would only
// make the agent collect data, or run a scan, that nobody wants.
func StaleSections(stored, reported PingHashes) []string {
	out := make([]string, 0, 6)
	for _, s := range AllSections() {
		if st := stored.Get(s); st == "" || st != reported.Get(s) {
			out = append(out, s)
		}
	}
	return out
}
