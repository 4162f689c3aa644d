package agentproto

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The canonical hashes below must equal the stock agent's byte for byte: a
// mismatch makes every check-in look stale (or a report be rejected), so any
// change here breaks deployed agents. The rules, from spec/agent-protocol.md:
//   - every string is NFC-normalised, then trimmed of Unicode white space;
//   - rows are encoded by encoding/json.Marshal (which escapes <, > and &,
//     and writes each invalid UTF-8 byte as \ufffd) through dedicated
//     structs, so field order is fixed and every key is always present;
//   - lists are sorted (stable) by a fixed key; where the spec says so,
//     duplicates keep the last occurrence;
//   - the digest is SHA-256 as lower-case hex.
// testdata/hash-vectors.json pins the output. The functions hash exactly the
// strings they are given; see Report.Sanitize for why a sender holding
// invalid UTF-8 must clean it before hashing.

// canon is the per-string normalisation every hashed string goes through.
func canon(s string) string {
	if isASCII(s) {
		// ASCII is always NFC; skipping norm saves its table look-ups.
		return strings.TrimSpace(s)
	}
	return strings.TrimSpace(norm.NFC.String(s))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// hashJSON hashes the canonical encoding of v. Marshal cannot fail for the
// plain structs of strings, bools and integers used here.
func hashJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic("agentproto: canonical encoding failed: " + err.Error())
	}
	return sha256Hex(b)
}

type packageRow struct {
	Name              string   `json:"name"`
	Description       string   `json:"description"`
	Category          string   `json:"category"`
	CurrentVersion    string   `json:"currentVersion"`
	AvailableVersion  string   `json:"availableVersion"`
	NeedsUpdate       bool     `json:"needsUpdate"`
	IsSecurityUpdate  bool     `json:"isSecurityUpdate"`
	SourceRepository  string   `json:"sourceRepository"`
	WUAGuid           string   `json:"wuaGuid"`
	WUAKb             string   `json:"wuaKb"`
	WUASeverity       string   `json:"wuaSeverity"`
	WUACategories     []string `json:"wuaCategories"`
	WUASupportURL     string   `json:"wuaSupportUrl"`
	WUARevisionNumber int32    `json:"wuaRevisionNumber"`
}

// PackagesHash returns the canonical hash of a package list: rows sorted by
// name, one row per name (the last occurrence wins), wuaCategories sorted
// (before normalisation, as the agent does) and null when empty. It does not
// modify pkgs.
func PackagesHash(pkgs []Package) string {
	return hashJSON(packageRows(pkgs))
}

// packageRows returns the canonical rows in hash order, as pointers (which
// encode exactly like the structs) so that the rows are never copied.
func packageRows(pkgs []Package) []*packageRow {
	rows := make([]packageRow, len(pkgs))
	sorted := true
	for i := range pkgs {
		p := &pkgs[i]
		rows[i] = packageRow{
			Name:              canon(p.Name),
			Description:       canon(p.Description),
			Category:          canon(p.Category),
			CurrentVersion:    canon(p.CurrentVersion),
			AvailableVersion:  canon(p.AvailableVersion),
			NeedsUpdate:       p.NeedsUpdate,
			IsSecurityUpdate:  p.IsSecurityUpdate,
			SourceRepository:  canon(p.SourceRepository),
			WUAGuid:           canon(p.WUAGuid),
			WUAKb:             canon(p.WUAKb),
			WUASeverity:       canon(p.WUASeverity),
			WUACategories:     wuaCategories(p.WUACategories),
			WUASupportURL:     canon(p.WUASupportURL),
			WUARevisionNumber: p.WUARevisionNumber,
		}
		if i > 0 && rows[i].Name < rows[i-1].Name {
			sorted = false
		}
	}
	// Sort positions, not rows: moving ints is far cheaper than moving
	// 200-byte structs full of pointers. Package managers usually list by
	// name already, so the sort is often skipped. The position tie-break
	// makes this the stable sort by name that the agent does.
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	if !sorted {
		slices.SortFunc(order, func(a, b int) int {
			return cmp.Or(strings.Compare(rows[a].Name, rows[b].Name), cmp.Compare(a, b))
		})
	}
	// Rows of one name are now adjacent and in input order, so keeping the
	// last of each run keeps the last occurrence.
	out := make([]*packageRow, 0, len(rows))
	for i, idx := range order {
		if i+1 < len(order) && rows[order[i+1]].Name == rows[idx].Name {
			continue
		}
		out = append(out, &rows[idx])
	}
	return out
}

// wuaCategories copies, sorts and normalises the categories. The agent sorts
// the raw strings and normalises afterwards, so we do the same: sorting the
// normalised strings would order e.g. " b" and "a" differently. An empty
// list encodes as null, exactly like an absent one.
func wuaCategories(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := slices.Clone(in)
	slices.Sort(out)
	for i, c := range out {
		out[i] = canon(c)
	}
	return out
}

type repoRow struct {
	Name         string `json:"name"`
	URL          string `json:"url"`
	Distribution string `json:"distribution"`
	Components   string `json:"components"`
	RepoType     string `json:"repoType"`
	IsEnabled    bool   `json:"isEnabled"`
	IsSecure     bool   `json:"isSecure"`
}

// ReposHash returns the canonical hash of a repository list: rows sorted by
// url, distribution, components, one row per such key (the last occurrence
// wins). It does not modify repos.
func ReposHash(repos []Repository) string {
	return hashJSON(repoRows(repos))
}

func repoRows(repos []Repository) []repoRow {
	rows := make([]repoRow, len(repos))
	for i := range repos {
		r := &repos[i]
		rows[i] = repoRow{
			Name:         canon(r.Name),
			URL:          canon(r.URL),
			Distribution: canon(r.Distribution),
			Components:   canon(r.Components),
			RepoType:     canon(r.RepoType),
			IsEnabled:    r.IsEnabled,
			IsSecure:     r.IsSecure,
		}
	}
	slices.SortStableFunc(rows, func(a, b repoRow) int {
		return cmp.Or(
			strings.Compare(a.URL, b.URL),
			strings.Compare(a.Distribution, b.Distribution),
			strings.Compare(a.Components, b.Components),
		)
	})
	if len(rows) < 2 {
		return rows
	}
	// The agent's dedupe key is the three fields joined with "|", so two
	// rows whose fields differ only in where a "|" falls count as duplicates
	// even when they are not adjacent. Reproduce that exactly instead of
	// comparing the fields: the hashes must agree.
	last := make(map[string]int, len(rows))
	for i := range rows {
		last[repoKey(&rows[i])] = i
	}
	if len(last) == len(rows) {
		return rows
	}
	out := make([]repoRow, 0, len(last))
	for i := range rows {
		if last[repoKey(&rows[i])] == i {
			out = append(out, rows[i])
		}
	}
	return out
}

func repoKey(r *repoRow) string {
	return r.URL + "|" + r.Distribution + "|" + r.Components
}

type interfaceRow struct {
	Name       string       `json:"name"`
	Type       string       `json:"type"`
	MACAddress string       `json:"macAddress"`
	Addresses  []addressRow `json:"addresses"`
}

type addressRow struct {
	Address string `json:"address"`
	Family  string `json:"family"`
	Netmask string `json:"netmask"`
	Gateway string `json:"gateway"`
}

// InterfacesHash returns the canonical hash of a network interface list:
// rows sorted by name (duplicates are kept), the MAC address lower-cased,
// addresses sorted by family then address. MTU, status, link speed and duplex
// are left out because they flap. It does not modify ifaces.
func InterfacesHash(ifaces []NetworkInterface) string {
	return hashJSON(interfaceRows(ifaces))
}

func interfaceRows(ifaces []NetworkInterface) []interfaceRow {
	rows := make([]interfaceRow, len(ifaces))
	for i := range ifaces {
		in := &ifaces[i]
		// Never nil: an interface without addresses encodes "addresses":[].
		addrs := make([]addressRow, len(in.Addresses))
		for j := range in.Addresses {
			a := &in.Addresses[j]
			addrs[j] = addressRow{
				Address: canon(a.Address),
				Family:  canon(a.Family),
				Netmask: canon(a.Netmask),
				Gateway: canon(a.Gateway),
			}
		}
		slices.SortStableFunc(addrs, func(a, b addressRow) int {
			return cmp.Or(strings.Compare(a.Family, b.Family), strings.Compare(a.Address, b.Address))
		})
		rows[i] = interfaceRow{
			Name:       canon(in.Name),
			Type:       canon(in.Type),
			MACAddress: strings.ToLower(canon(in.MACAddress)),
			Addresses:  addrs,
		}
	}
	slices.SortStableFunc(rows, func(a, b interfaceRow) int { return strings.Compare(a.Name, b.Name) })
	return rows
}

// HostnameHash returns the canonical hash of a hostname: SHA-256 of the
// normalised string itself, without any JSON around it.
func HostnameHash(hostname string) string {
	return sha256Hex([]byte(canon(hostname)))
}

type dockerEnvelope struct {
	Containers []dockerContainerRow `json:"containers"`
	Images     []dockerImageRow     `json:"images"`
	Volumes    []dockerVolumeRow    `json:"volumes"`
	Networks   []dockerNetworkRow   `json:"networks"`
	Updates    []dockerUpdateRow    `json:"updates"`
}

type dockerContainerRow struct {
	ContainerID     string `json:"containerId"`
	Name            string `json:"name"`
	ImageRepository string `json:"imageRepository"`
	ImageTag        string `json:"imageTag"`
	ImageID         string `json:"imageId"`
	Status          string `json:"status"`
	State           string `json:"state"`
}

type dockerImageRow struct {
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
	ImageID    string `json:"imageId"`
	Digest     string `json:"digest"`
	SizeBytes  int64  `json:"sizeBytes"`
}

type dockerVolumeRow struct {
	VolumeID string `json:"volumeId"`
	Name     string `json:"name"`
	Driver   string `json:"driver"`
	Scope    string `json:"scope"`
}

type dockerNetworkRow struct {
	NetworkID string `json:"networkId"`
	Name      string `json:"name"`
	Driver    string `json:"driver"`
	Scope     string `json:"scope"`
}

type dockerUpdateRow struct {
	Repository      string `json:"repository"`
	CurrentTag      string `json:"currentTag"`
	AvailableTag    string `json:"availableTag"`
	CurrentDigest   string `json:"currentDigest"`
	AvailableDigest string `json:"availableDigest"`
	ImageID         string `json:"imageId"`
}

// DockerHash returns the canonical hash of a host's docker inventory: one
// object of five lists (never null), containers sorted by containerId, images
// by repository/tag/imageId, volumes by volumeId, networks by networkId,
// updates by repository/currentTag/imageId. Nothing is deduplicated. The
// hashed object uses camelCase keys although the docker payload itself is
// snake_case. It does not modify d.
func DockerHash(d DockerData) string {
	return hashJSON(dockerRows(d))
}

func dockerRows(d DockerData) dockerEnvelope {
	env := dockerEnvelope{
		Containers: make([]dockerContainerRow, len(d.Containers)),
		Images:     make([]dockerImageRow, len(d.Images)),
		Volumes:    make([]dockerVolumeRow, len(d.Volumes)),
		Networks:   make([]dockerNetworkRow, len(d.Networks)),
		Updates:    make([]dockerUpdateRow, len(d.Updates)),
	}
	for i := range d.Containers {
		c := &d.Containers[i]
		env.Containers[i] = dockerContainerRow{
			ContainerID:     canon(c.ContainerID),
			Name:            canon(c.Name),
			ImageRepository: canon(c.ImageRepository),
			ImageTag:        canon(c.ImageTag),
			ImageID:         canon(c.ImageID),
			Status:          canon(c.Status),
			State:           canon(c.State),
		}
	}
	slices.SortStableFunc(env.Containers, func(a, b dockerContainerRow) int {
		return strings.Compare(a.ContainerID, b.ContainerID)
	})
	for i := range d.Images {
		im := &d.Images[i]
		env.Images[i] = dockerImageRow{
			Repository: canon(im.Repository),
			Tag:        canon(im.Tag),
			ImageID:    canon(im.ImageID),
			Digest:     canon(im.Digest),
			SizeBytes:  im.SizeBytes,
		}
	}
	slices.SortStableFunc(env.Images, func(a, b dockerImageRow) int {
		return cmp.Or(
			strings.Compare(a.Repository, b.Repository),
			strings.Compare(a.Tag, b.Tag),
			strings.Compare(a.ImageID, b.ImageID),
		)
	})
	for i := range d.Volumes {
		v := &d.Volumes[i]
		env.Volumes[i] = dockerVolumeRow{
			VolumeID: canon(v.VolumeID),
			Name:     canon(v.Name),
			Driver:   canon(v.Driver),
			Scope:    canon(v.Scope),
		}
	}
	slices.SortStableFunc(env.Volumes, func(a, b dockerVolumeRow) int {
		return strings.Compare(a.VolumeID, b.VolumeID)
	})
	for i := range d.Networks {
		n := &d.Networks[i]
		env.Networks[i] = dockerNetworkRow{
			NetworkID: canon(n.NetworkID),
			Name:      canon(n.Name),
			Driver:    canon(n.Driver),
			Scope:     canon(n.Scope),
		}
	}
	slices.SortStableFunc(env.Networks, func(a, b dockerNetworkRow) int {
		return strings.Compare(a.NetworkID, b.NetworkID)
	})
	for i := range d.Updates {
		u := &d.Updates[i]
		env.Updates[i] = dockerUpdateRow{
			Repository:      canon(u.Repository),
			CurrentTag:      canon(u.CurrentTag),
			AvailableTag:    canon(u.AvailableTag),
			CurrentDigest:   canon(u.CurrentDigest),
			AvailableDigest: canon(u.AvailableDigest),
			ImageID:         canon(u.ImageID),
		}
	}
	slices.SortStableFunc(env.Updates, func(a, b dockerUpdateRow) int {
		return cmp.Or(
			strings.Compare(a.Repository, b.Repository),
			strings.Compare(a.CurrentTag, b.CurrentTag),
			strings.Compare(a.ImageID, b.ImageID),
		)
	})
	return env
}
