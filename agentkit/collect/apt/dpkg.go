package apt

import (
	"bytes"
	"strings"
)

// dpkgQueryFormat is the dpkg-query -W format the parser expects. The summary
// comes last so that a stray tab inside it cannot shift the other fields.
const dpkgQueryFormat = `${db:Status-Abbrev}\t${Package}\t${Architecture}\t${Version}\t${Section}\t${binary:Summary}\n`

// installedPackage is one row of dpkg's database that is really installed.
type installedPackage struct {
	Name      string // as reported: "libc6", or "libc6:i386" for a foreign architecture
	Package   string // dpkg's package name without architecture
	Arch      string
	Version   string
	Section   string
	Summary   string
	QueryName string // the name apt-cache understands: the package, qualified for a foreign architecture
	PolicyKey string // the header apt-cache policy prints for it
}

// installedStatus reports whether a db:Status-Abbrev value describes a
// package whose files are on disk at its recorded version. The second
// character is the package state: 'i' installed, and 't'/'W' (triggers
// pending or awaited) which are installed packages waiting for another
// package's trigger. 'c' (config-files: removed, not purged) and the
// half-installed states are not installed — the stock agent lists "rc" rows
// as installed, which makes removed packages linger in the inventory.
func installedStatus(abbrev string) bool {
	if len(abbrev) < 2 {
		return false
	}
	switch abbrev[1] {
	case 'i', 't', 'W':
		return true
	}
	return false
}

// parseDpkgQuery parses dpkg-query output in dpkgQueryFormat and returns the
// installed packages. native is dpkg's native architecture: packages of that
// architecture or "all" keep their plain name, others are reported as
// "name:arch" so that multi-arch installs (libc6 and libc6:i386) stay
// distinct and every name is stable whatever else is installed.
func parseDpkgQuery(out []byte, native string) []installedPackage {
	pkgs := make([]installedPackage, 0, bytes.Count(out, []byte{'\n'})+1)
	for len(out) > 0 {
		var line []byte
		if i := bytes.IndexByte(out, '\n'); i >= 0 {
			line, out = out[:i], out[i+1:]
		} else {
			line, out = out, nil
		}
		f := strings.SplitN(string(line), "\t", 6)
		if len(f) < 4 || !installedStatus(f[0]) {
			continue
		}
		p := installedPackage{Package: strings.TrimSpace(f[1]), Arch: strings.TrimSpace(f[2]), Version: strings.TrimSpace(f[3])}
		if p.Package == "" || p.Version == "" {
			continue
		}
		if len(f) > 4 {
			p.Section = strings.TrimSpace(f[4])
		}
		if len(f) > 5 {
			p.Summary = strings.TrimSpace(f[5])
		}
		p.Name, p.QueryName, p.PolicyKey = p.Package, p.Package, p.Package
		if p.Arch != "" && p.Arch != "all" && native != "" && p.Arch != native {
			p.Name = p.Package + ":" + p.Arch
			p.QueryName = p.Name
			p.PolicyKey = p.Name
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}
