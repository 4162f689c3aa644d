package agentproto

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// hashVector is one entry of testdata/hash-vectors.json, a copy of
// spec/hash-vectors.json: an input as an agent sends it, and its hash.
type hashVector struct {
	Name   string          `json:"name"`
	Kind   string          `json:"kind"`
	Input  json.RawMessage `json:"input"`
	SHA256 string          `json:"sha256"`
}

// hashVectorInput decodes a vector's input with the package's own wire types,
// so the vectors pin the JSON field names as well as the hashes.
func hashVectorInput(t *testing.T, v hashVector) string {
	t.Helper()
	decode := func(dst any) {
		t.Helper()
		if err := json.Unmarshal(v.Input, dst); err != nil {
			t.Fatalf("decode %s input: %v", v.Kind, err)
		}
	}
	switch v.Kind {
	case "packages":
		var in []Package
		decode(&in)
		return PackagesHash(in)
	case "repositories":
		var in []Repository
		decode(&in)
		return ReposHash(in)
	case "networkInterfaces":
		var in []NetworkInterface
		decode(&in)
		return InterfacesHash(in)
	case "hostname":
		var in string
		decode(&in)
		return HostnameHash(in)
	case "docker":
		var in DockerData
		decode(&in)
		return DockerHash(in)
	}
	t.Fatalf("unknown vector kind %q", v.Kind)
	return ""
}

func TestHashVectors(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("testdata/hash-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vectors []hashVector
	if err := json.Unmarshal(raw, &vectors); err != nil {
		t.Fatal(err)
	}
	if len(vectors) == 0 {
		t.Fatal("no vectors")
	}
	for _, v := range vectors {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			if got := hashVectorInput(t, v); got != v.SHA256 {
				t.Errorf("%s hash = %s, want %s", v.Kind, got, v.SHA256)
			}
		})
	}
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func marshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The canonical encodings below are spelled out byte for byte: they are what
// the stock agent hashes, so a change to any of them is a protocol break.

func TestPackagesCanonicalEncoding(t *testing.T) {
	t.Parallel()
	const linuxRow = `{"name":"bash","description":"","category":"","currentVersion":"5.2","availableVersion":"",` +
		`"needsUpdate":false,"isSecurityUpdate":false,"sourceRepository":"","wuaGuid":"","wuaKb":"",` +
		`"wuaSeverity":"","wuaCategories":null,"wuaSupportUrl":"","wuaRevisionNumber":0}`
	tests := []struct {
		name string
		in   []Package
		want string
	}{
		{"nil is an empty list", nil, `[]`},
		{"all keys present, absent categories null", []Package{{Name: "bash", CurrentVersion: "5.2"}}, `[` + linuxRow + `]`},
		{"empty categories null too", []Package{{Name: "bash", CurrentVersion: "5.2", WUACategories: []string{}}}, `[` + linuxRow + `]`},
		{
			"windows update row",
			[]Package{{
				Name: "KB5034441", Category: "Windows Update", CurrentVersion: "pending", NeedsUpdate: true,
				WUAGuid: " g-1 ", WUAKb: "KB5034441", WUASeverity: "Important",
				WUACategories: []string{"Updates", " Security Updates", "Critical"},
				WUASupportURL: "https://support.example/?a=1&b=<2>", WUARevisionNumber: 201,
			}},
			`[{"name":"KB5034441","description":"","category":"Windows Update","currentVersion":"pending",` +
				`"availableVersion":"","needsUpdate":true,"isSecurityUpdate":false,"sourceRepository":"",` +
				`"wuaGuid":"g-1","wuaKb":"KB5034441","wuaSeverity":"Important",` +
				// Sorted before trimming, as the agent does: " Security Updates" sorts first.
				`"wuaCategories":["Security Updates","Critical","Updates"],` +
				`"wuaSupportUrl":"https://support.example/?a=1\u0026b=\u003c2\u003e","wuaRevisionNumber":201}]`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := marshal(t, packageRows(tt.in))
			if got != tt.want {
				t.Errorf("encoding\n got %s\nwant %s", got, tt.want)
			}
			if h := PackagesHash(tt.in); h != sha(tt.want) {
				t.Errorf("PackagesHash = %s, want sha256 of the encoding %s", h, sha(tt.want))
			}
		})
	}
}

func TestPackagesHashNormalisation(t *testing.T) {
	t.Parallel()
	base := []Package{{Name: "café", Description: "d", CurrentVersion: "1"}}
	same := map[string][]Package{
		"NFD name":              {{Name: "cafe\u0301", Description: "d", CurrentVersion: "1"}},
		"surrounding spaces":    {{Name: " café\t", Description: "d \n", CurrentVersion: "\u00a01"}},
		"duplicate, last wins":  {{Name: "café", Description: "old", CurrentVersion: "0"}, {Name: "café", Description: "d", CurrentVersion: "1"}},
		"dedupe after trimming": {{Name: " café", Description: "old", CurrentVersion: "0"}, {Name: "café ", Description: "d", CurrentVersion: "1"}},
	}
	want := PackagesHash(base)
	for name, in := range same {
		if got := PackagesHash(in); got != want {
			t.Errorf("%s: hash %s, want %s", name, got, want)
		}
	}
	different := map[string][]Package{
		"duplicate, first differs from last": {{Name: "café", Description: "d", CurrentVersion: "1"}, {Name: "café", Description: "new", CurrentVersion: "1"}},
		"case matters":                       {{Name: "Café", Description: "d", CurrentVersion: "1"}},
		"inner space matters":                {{Name: "café", Description: "d ", CurrentVersion: "1 .0"}},
		"needsUpdate matters":                {{Name: "café", Description: "d", CurrentVersion: "1", NeedsUpdate: true}},
	}
	for name, in := range different {
		if got := PackagesHash(in); got == want {
			t.Errorf("%s: hash unchanged", name)
		}
	}
}

func TestPackagesHashOrderAndInput(t *testing.T) {
	t.Parallel()
	pkgs := []Package{
		{Name: "zlib1g", CurrentVersion: "1"},
		{Name: "bash", CurrentVersion: "5", WUACategories: []string{"b", "a"}},
		{Name: "apt", CurrentVersion: "2"},
		{Name: "bash", CurrentVersion: "6"},
	}
	orig := clonePackages(pkgs)
	got := PackagesHash(pkgs)
	if !slices.EqualFunc(pkgs, orig, packagesEqual) {
		t.Fatal("PackagesHash modified its input")
	}
	want := sha(marshal(t, []packageRow{
		{Name: "apt", CurrentVersion: "2"},
		{Name: "bash", CurrentVersion: "6"},
		{Name: "zlib1g", CurrentVersion: "1"},
	}))
	if got != want {
		t.Errorf("hash = %s, want %s", got, want)
	}
}

func clonePackages(in []Package) []Package {
	out := slices.Clone(in)
	for i := range out {
		out[i].WUACategories = slices.Clone(out[i].WUACategories)
	}
	return out
}

func packagesEqual(a, b Package) bool { return reflect.DeepEqual(a, b) }

func TestReposCanonicalEncoding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []Repository
		want string
	}{
		{"nil is an empty list", nil, `[]`},
		{
			"sorted by url, distribution, components; duplicate keeps last",
			[]Repository{
				{Name: "b", URL: "http://b", Distribution: "x", Components: "main", RepoType: "deb", IsEnabled: true},
				{Name: "a2", URL: "http://a", Distribution: "y", Components: "main", RepoType: "deb"},
				{Name: "a1", URL: "http://a", Distribution: "x", Components: "z", RepoType: "deb"},
				{Name: "a0", URL: "http://a", Distribution: "x", Components: "main", RepoType: "deb"},
				{Name: "b-again", URL: " http://b", Distribution: "x ", Components: "main", RepoType: "deb", IsSecure: true},
			},
			`[{"name":"a0","url":"http://a","distribution":"x","components":"main","repoType":"deb","isEnabled":false,"isSecure":false},` +
				`{"name":"a1","url":"http://a","distribution":"x","components":"z","repoType":"deb","isEnabled":false,"isSecure":false},` +
				`{"name":"a2","url":"http://a","distribution":"y","components":"main","repoType":"deb","isEnabled":false,"isSecure":false},` +
				`{"name":"b-again","url":"http://b","distribution":"x","components":"main","repoType":"deb","isEnabled":false,"isSecure":true}]`,
		},
		{
			// The agent joins the key fields with "|", so these two collide
			// although they are not adjacent once sorted; the last in sorted
			// order survives.
			"pipe in key fields collides like the agent's key",
			[]Repository{
				{Name: "first", URL: "a", Distribution: "b|c", Components: ""},
				{Name: "between", URL: "a", Distribution: "z", Components: ""},
				{Name: "second", URL: "a|b", Distribution: "c", Components: ""},
			},
			`[{"name":"between","url":"a","distribution":"z","components":"","repoType":"","isEnabled":false,"isSecure":false},` +
				`{"name":"second","url":"a|b","distribution":"c","components":"","repoType":"","isEnabled":false,"isSecure":false}]`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := marshal(t, repoRows(tt.in)); got != tt.want {
				t.Errorf("encoding\n got %s\nwant %s", got, tt.want)
			}
			if h := ReposHash(tt.in); h != sha(tt.want) {
				t.Errorf("ReposHash = %s, want %s", h, sha(tt.want))
			}
		})
	}
}

func TestInterfacesCanonicalEncoding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []NetworkInterface
		want string
	}{
		{"nil is an empty list", nil, `[]`},
		{
			"no addresses encode as [], duplicates kept, volatile fields ignored",
			[]NetworkInterface{
				{Name: "wg0", Type: "wireguard", MTU: 1420, Status: "up"},
				{Name: "eth0", Type: "ethernet", MACAddress: " 0A:1B:2C:3D:4E:5F ", LinkSpeed: -1, Duplex: "half", Addresses: []InterfaceAddress{
					{Address: "10.0.0.2", Family: "inet", Netmask: "/24"},
					{Address: "10.0.0.10", Family: "inet"},
					{Address: "2001:db8::1", Family: "inet6", Netmask: "/64"},
					{Address: "10.0.0.1", Family: "inet", Gateway: "10.0.0.254"},
				}},
				{Name: "eth0", Type: "vlan"},
			},
			`[{"name":"eth0","type":"ethernet","macAddress":"0a:1b:2c:3d:4e:5f","addresses":[` +
				`{"address":"10.0.0.1","family":"inet","netmask":"","gateway":"10.0.0.254"},` +
				`{"address":"10.0.0.10","family":"inet","netmask":"","gateway":""},` +
				`{"address":"10.0.0.2","family":"inet","netmask":"/24","gateway":""},` +
				`{"address":"2001:db8::1","family":"inet6","netmask":"/64","gateway":""}]},` +
				`{"name":"eth0","type":"vlan","macAddress":"","addresses":[]},` +
				`{"name":"wg0","type":"wireguard","macAddress":"","addresses":[]}]`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := marshal(t, interfaceRows(tt.in)); got != tt.want {
				t.Errorf("encoding\n got %s\nwant %s", got, tt.want)
			}
			if h := InterfacesHash(tt.in); h != sha(tt.want) {
				t.Errorf("InterfacesHash = %s, want %s", h, sha(tt.want))
			}
		})
	}
	volatile := []NetworkInterface{{Name: "eth0", MTU: 9000, Status: "down", LinkSpeed: 10, Duplex: "full"}}
	if InterfacesHash(volatile) != InterfacesHash([]NetworkInterface{{Name: "eth0"}}) {
		t.Error("mtu, status, linkSpeed or duplex changed the hash")
	}
}

func TestHostnameHash(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, canonical string }{
		{"web-01", "web-01"},
		{"  web-01.example.org \n", "web-01.example.org"},
		{"", ""},
		{"cafe\u0301", "café"},
		{"<&>", "<&>"}, // raw bytes, no JSON, so no escaping
	}
	for _, tt := range tests {
		if got, want := HostnameHash(tt.in), sha(tt.canonical); got != want {
			t.Errorf("HostnameHash(%q) = %s, want sha256(%q) = %s", tt.in, got, tt.canonical, want)
		}
	}
}

func TestDockerCanonicalEncoding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   DockerData
		want string
	}{
		{"zero value has five empty lists", DockerData{}, `{"containers":[],"images":[],"volumes":[],"networks":[],"updates":[]}`},
		{
			"sorted by key, camelCase keys, nothing deduplicated",
			DockerData{
				Containers: []DockerContainer{
					{ContainerID: "c2", Name: "web", ImageRepository: "nginx", ImageTag: "1.27", ImageID: "sha256:n", Status: "Up 2 hours", State: "running"},
					{ContainerID: "c1", Name: " db ", ImageRepository: "postgres", ImageTag: "17", ImageID: "sha256:p", Status: "Exited (0)", State: "exited"},
					{ContainerID: "c1", Name: "db-dup"},
				},
				Images: []DockerImage{
					{Repository: "nginx", Tag: "1.27", ImageID: "sha256:n2", SizeBytes: 2},
					{Repository: "nginx", Tag: "1.27", ImageID: "sha256:n1", Digest: "sha256:d", SizeBytes: 1},
					{Repository: "alpine", Tag: "3", ImageID: "sha256:a", SizeBytes: 3},
				},
				Volumes:  []DockerVolume{{VolumeID: "v2", Name: "v2", Driver: "local", Scope: "local"}, {VolumeID: "v1", Name: "v1", Driver: "local", Scope: "local"}},
				Networks: []DockerNetwork{{NetworkID: "n2", Name: "host", Driver: "host", Scope: "local"}, {NetworkID: "n1", Name: "bridge", Driver: "bridge", Scope: "local"}},
				Updates: []DockerImageUpdate{
					{Repository: "nginx", CurrentTag: "1.27", AvailableTag: "1.28", ImageID: "sha256:n2"},
					{Repository: "nginx", CurrentTag: "1.27", AvailableTag: "1.28", CurrentDigest: "a", AvailableDigest: "b", ImageID: "sha256:n1"},
				},
			},
			`{"containers":[` +
				`{"containerId":"c1","name":"db","imageRepository":"postgres","imageTag":"17","imageId":"sha256:p","status":"Exited (0)","state":"exited"},` +
				`{"containerId":"c1","name":"db-dup","imageRepository":"","imageTag":"","imageId":"","status":"","state":""},` +
				`{"containerId":"c2","name":"web","imageRepository":"nginx","imageTag":"1.27","imageId":"sha256:n","status":"Up 2 hours","state":"running"}],` +
				`"images":[{"repository":"alpine","tag":"3","imageId":"sha256:a","digest":"","sizeBytes":3},` +
				`{"repository":"nginx","tag":"1.27","imageId":"sha256:n1","digest":"sha256:d","sizeBytes":1},` +
				`{"repository":"nginx","tag":"1.27","imageId":"sha256:n2","digest":"","sizeBytes":2}],` +
				`"volumes":[{"volumeId":"v1","name":"v1","driver":"local","scope":"local"},{"volumeId":"v2","name":"v2","driver":"local","scope":"local"}],` +
				`"networks":[{"networkId":"n1","name":"bridge","driver":"bridge","scope":"local"},{"networkId":"n2","name":"host","driver":"host","scope":"local"}],` +
				`"updates":[{"repository":"nginx","currentTag":"1.27","availableTag":"1.28","currentDigest":"a","availableDigest":"b","imageId":"sha256:n1"},` +
				`{"repository":"nginx","currentTag":"1.27","availableTag":"1.28","currentDigest":"","availableDigest":"","imageId":"sha256:n2"}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := marshal(t, dockerRows(tt.in)); got != tt.want {
				t.Errorf("encoding\n got %s\nwant %s", got, tt.want)
			}
			if h := DockerHash(tt.in); h != sha(tt.want) {
				t.Errorf("DockerHash = %s, want %s", h, sha(tt.want))
			}
		})
	}
}

func TestDockerDataDecodesAgentPayload(t *testing.T) {
	t.Parallel()
	// Trimmed from a stock agent's POST integrations/docker body; fields
	// outside the hash are ignored by DockerData.
	const body = `{"containers":[{"container_id":"c1","name":"web","image_name":"nginx:1.27","image_tag":"1.27",
		"image_repository":"nginx","image_source":"docker-hub","image_id":"sha256:n","status":"Up","state":"running",
		"ports":{"80/tcp":"8080"}}],"images":[{"repository":"nginx","tag":"1.27","image_id":"sha256:n","source":"docker-hub",
		"size_bytes":187000000,"digest":"sha256:d"}],"volumes":[{"volume_id":"v","name":"v","driver":"local","scope":"local"}],
		"networks":[{"network_id":"n","name":"bridge","driver":"bridge","scope":"local","ipv6_enabled":false}],
		"updates":[{"repository":"nginx","current_tag":"1.27","available_tag":"1.28","current_digest":"a","available_digest":"b","image_id":"sha256:n"}],
		"daemon_info":{},"hostname":"h","machine_id":"m","agent_version":"2.0.3","docker_hash":"x"}`
	var d DockerData
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatal(err)
	}
	want := DockerData{
		Containers: []DockerContainer{{ContainerID: "c1", Name: "web", ImageRepository: "nginx", ImageTag: "1.27", ImageID: "sha256:n", Status: "Up", State: "running"}},
		Images:     []DockerImage{{Repository: "nginx", Tag: "1.27", ImageID: "sha256:n", Digest: "sha256:d", SizeBytes: 187000000}},
		Volumes:    []DockerVolume{{VolumeID: "v", Name: "v", Driver: "local", Scope: "local"}},
		Networks:   []DockerNetwork{{NetworkID: "n", Name: "bridge", Driver: "bridge", Scope: "local"}},
		Updates:    []DockerImageUpdate{{Repository: "nginx", CurrentTag: "1.27", AvailableTag: "1.28", CurrentDigest: "a", AvailableDigest: "b", ImageID: "sha256:n"}},
	}
	if got, w := marshal(t, d), marshal(t, want); got != w {
		t.Errorf("decoded\n got %s\nwant %s", got, w)
	}
}

var hexHash = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestHashesAreLowerHex(t *testing.T) {
	t.Parallel()
	for _, h := range []string{
		PackagesHash(nil), ReposHash(nil), InterfacesHash(nil), HostnameHash(""), DockerHash(DockerData{}),
	} {
		if !hexHash.MatchString(h) {
			t.Errorf("%q is not 64 lower-case hex digits", h)
		}
	}
}

// TestHashOfInvalidUTF8 pins a protocol subtlety. encoding/json writes an
// invalid byte as the escape \ufffd but a real U+FFFD as its raw UTF-8
// bytes, so an agent that hashes a string holding invalid UTF-8 gets a hash
// that nobody can reproduce from the JSON it sends: the receiver decodes a
// real U+FFFD. Cleaning first makes the hash reproducible.
func TestHashOfInvalidUTF8(t *testing.T) {
	t.Parallel()
	raw := []Package{{Name: "libfoo", Description: "caf\xe9 au lait", CurrentVersion: "1"}}
	wire, err := json.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	var decoded []Package
	if err := json.Unmarshal(wire, &decoded); err != nil {
		t.Fatal(err)
	}
	if decoded[0].Description != "caf\uFFFD au lait" {
		t.Fatalf("decoded description %q", decoded[0].Description)
	}
	if PackagesHash(raw) == PackagesHash(decoded) {
		t.Error("raw invalid UTF-8 now hashes like its decoded form; update the docs on Report.Sanitize")
	}
	want := `"description":"caf\ufffd au lait"`
	if got := marshal(t, packageRows(raw)); !strings.Contains(got, want) {
		t.Errorf("raw encoding %s lacks %s", got, want)
	}
	cleaned := []Package{{Name: "libfoo", Description: Clean(raw[0].Description), CurrentVersion: "1"}}
	if PackagesHash(cleaned) != PackagesHash(decoded) {
		t.Error("a cleaned list must hash like its decoded form")
	}
}
