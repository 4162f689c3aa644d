package agentproto

import (
	"strings"
	"unicode/utf8"
)

// Clean returns s as valid UTF-8 without NUL bytes: each byte that is not
// part of a valid UTF-8 sequence becomes U+FFFD (exactly as encoding/json
// does when it encodes or decodes a string) and every NUL byte is dropped.
// Package descriptions carry both, and PostgreSQL text accepts neither, so a
// report is cleaned rather than rejected. Clean is idempotent and returns s
// itself, without allocating, when there is nothing to change.
func Clean(s string) string {
	if isClean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c != 0 {
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func isClean(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 0 {
			return false
		}
		if c >= utf8.RuneSelf {
			return utf8.ValidString(s[i:]) && strings.IndexByte(s[i:], 0) < 0
		}
	}
	return true
}

func cleanAll(ss []string) {
	for i := range ss {
		ss[i] = Clean(ss[i])
	}
}

// Sanitize applies [Clean] to every string in r, nested ones included, in
// place. A nil r is a no-op.
//
// Sanitize after hashing, not before. The agent hashed the strings it sent:
// NUL bytes survive the JSON trip and are part of its hash, so a server must
// compute or check section hashes on the report as decoded. Invalid UTF-8
// does not survive the trip at all: encoding/json sends each invalid byte as
// the escape \ufffd, which is what the agent hashed, but the receiver decodes
// a real U+FFFD, which encodes as raw bytes. A recomputed hash of a section
// containing U+FFFD may therefore differ from a stock agent's without either
// side being wrong. An agent built on this package should sanitise its report
// before hashing it; its hashes are then reproducible by the server.
func (r *Report) Sanitize() {
	if r == nil {
		return
	}
	for i := range r.Packages {
		p := &r.Packages[i]
		p.Name = Clean(p.Name)
		p.Description = Clean(p.Description)
		p.Category = Clean(p.Category)
		p.CurrentVersion = Clean(p.CurrentVersion)
		p.AvailableVersion = Clean(p.AvailableVersion)
		p.SourceRepository = Clean(p.SourceRepository)
		p.WUAGuid = Clean(p.WUAGuid)
		p.WUAKb = Clean(p.WUAKb)
		p.WUASeverity = Clean(p.WUASeverity)
		cleanAll(p.WUACategories)
		p.WUASupportURL = Clean(p.WUASupportURL)
	}
	for i := range r.Repositories {
		repo := &r.Repositories[i]
		repo.Name = Clean(repo.Name)
		repo.URL = Clean(repo.URL)
		repo.Distribution = Clean(repo.Distribution)
		repo.Components = Clean(repo.Components)
		repo.RepoType = Clean(repo.RepoType)
	}
	r.OSType = Clean(r.OSType)
	r.OSVersion = Clean(r.OSVersion)
	r.Hostname = Clean(r.Hostname)
	r.IP = Clean(r.IP)
	r.Architecture = Clean(r.Architecture)
	r.AgentVersion = Clean(r.AgentVersion)
	r.MachineID = Clean(r.MachineID)
	r.KernelVersion = Clean(r.KernelVersion)
	r.InstalledKernelVersion = Clean(r.InstalledKernelVersion)
	r.SELinuxStatus = Clean(r.SELinuxStatus)
	r.SystemUptime = Clean(r.SystemUptime)
	r.CPUModel = Clean(r.CPUModel)
	for i := range r.DiskDetails {
		d := &r.DiskDetails[i]
		d.Name = Clean(d.Name)
		d.Size = Clean(d.Size)
		d.MountPoint = Clean(d.MountPoint)
	}
	r.GatewayIP = Clean(r.GatewayIP)
	cleanAll(r.DNSServers)
	for i := range r.NetworkInterfaces {
		n := &r.NetworkInterfaces[i]
		n.Name = Clean(n.Name)
		n.Type = Clean(n.Type)
		n.MACAddress = Clean(n.MACAddress)
		n.Status = Clean(n.Status)
		n.Duplex = Clean(n.Duplex)
		for j := range n.Addresses {
			a := &n.Addresses[j]
			a.Address = Clean(a.Address)
			a.Family = Clean(a.Family)
			a.Netmask = Clean(a.Netmask)
			a.Gateway = Clean(a.Gateway)
		}
	}
	r.RebootReason = Clean(r.RebootReason)
	r.PackageManager = Clean(r.PackageManager)
	cleanAll(r.Sections)
	if h := r.Hashes; h != nil {
		h.PackagesHash = Clean(h.PackagesHash)
		h.ReposHash = Clean(h.ReposHash)
		h.InterfacesHash = Clean(h.InterfacesHash)
		h.HostnameHash = Clean(h.HostnameHash)
	}
}
