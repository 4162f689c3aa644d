package inventory

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"regexp"
	"strings"
	"sync"
)

// AgentOS and the architectures agents are built for.
const AgentOS = "linux"

// AgentArchitectures lists the architectures `make agents` builds, in the order the
// install script and the docs name them.
func AgentArchitectures() []string { return []string{"amd64", "arm64", "arm", "386"} }

// AgentBinaryName is the file name of the agent build for goos/goarch in
// Config.AgentBinaries.
func AgentBinaryName(goos, goarch string) string { return "patchmon-agent-" + goos + "-" + goarch }

// AgentBinary describes one servable agent build.
type AgentBinary struct {
	OS, Arch string
	Name     string
	Size     int64
	// SHA256 is the lower-case hex digest agents verify after downloading.
	SHA256 string
	// Version is read from the binary (see package agents).
	Version string
}

// normalizeArch maps the names uname -m and agents use onto Go architectures.
func normalizeArch(a string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(a)) {
	case "", "amd64", "x86_64", "x64":
		return "amd64", true
	case "arm64", "aarch64", "armv8", "armv8l":
		return "arm64", true
	case "arm", "armv7", "armv7l", "armv6", "armv6l", "armhf", "armel":
		return "arm", true
	case "386", "i386", "i486", "i586", "i686", "x86":
		return "386", true
	}
	return "", false
}

func normalizeOS(o string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(o)) {
	case "", "linux":
		return AgentOS, true
	}
	return "", false
}

// platform validates and normalises the os and arch query parameters of agent requests.
func platform(goos, goarch string) (string, string, error) {
	o, ok := normalizeOS(goos)
	if !ok {
		return "", "", errorf(ErrUnsupportedPlatform, "Unsupported operating system %q: PatchMon agents run on linux", goos)
	}
	a, ok := normalizeArch(goarch)
	if !ok {
		return "", "", errorf(ErrUnsupportedPlatform, "Invalid architecture %q. Must be one of: amd64, arm64, arm, 386", goarch)
	}
	return o, a, nil
}

// binaryCatalog inspects each agent binary once, on first use: hashing an 8 MB binary
// at start-up for every architecture would cost time and resident memory for nothing
// on servers whose agents never update.
type binaryCatalog struct {
	fsys    fs.FS
	mu      sync.Mutex
	entries map[string]*binaryEntry
}

type binaryEntry struct {
	once sync.Once
	bin  AgentBinary
	err  error
}

func newBinaryCatalog(fsys fs.FS) *binaryCatalog {
	return &binaryCatalog{fsys: fsys, entries: map[string]*binaryEntry{}}
}

// lookup returns the description of the binary for the platform.
func (c *binaryCatalog) lookup(goos, goarch string) (AgentBinary, error) {
	name := AgentBinaryName(goos, goarch)
	c.mu.Lock()
	e := c.entries[name]
	if e == nil {
		e = &binaryEntry{}
		c.entries[name] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.bin, e.err = c.inspect(goos, goarch, name) })
	return e.bin, e.err
}

// open returns the binary's content together with its description.
func (c *binaryCatalog) open(goos, goarch string) (fs.File, AgentBinary, error) {
	bin, err := c.lookup(goos, goarch)
	if err != nil {
		return nil, AgentBinary{}, err
	}
	f, err := c.fsys.Open(bin.Name)
	if err != nil {
		return nil, AgentBinary{}, err
	}
	return f, bin, nil
}

func (c *binaryCatalog) inspect(goos, goarch, name string) (AgentBinary, error) {
	f, err := c.fsys.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return AgentBinary{}, errorf(ErrNoAgentBinary, "no agent binary for %s/%s in this build", goos, goarch)
	}
	if err != nil {
		return AgentBinary{}, err
	}
	defer f.Close()
	bin := AgentBinary{OS: goos, Arch: goarch, Name: name}
	// A digest written at build time (<binary>.sha256, from `make agents`) spares reading
	// the whole binary, which would keep its pages resident for nothing until a download.
	if sum, ok := c.sidecarSHA256(name); ok {
		st, err := f.Stat()
		if err != nil {
			return AgentBinary{}, err
		}
		bin.Size, bin.SHA256 = st.Size(), sum
	} else {
		h := sha256.New()
		if bin.Size, err = io.Copy(h, f); err != nil {
			return AgentBinary{}, err
		}
		bin.SHA256 = hex.EncodeToString(h.Sum(nil))
	}
	bin.Version, err = c.version(name)
	if err != nil {
		return AgentBinary{}, err
	}
	if bin.Version == "" {
		return AgentBinary{}, errorf(ErrNoAgentBinary, "the agent binary for %s/%s in this build carries no version", goos, goarch)
	}
	return bin, nil
}

// sidecarSHA256 reads <name>.sha256 (the hex digest, optionally followed by the file
// name as sha256sum prints it) when present and well formed.
func (c *binaryCatalog) sidecarSHA256(name string) (string, bool) {
	b, err := fs.ReadFile(c.fsys, name+".sha256")
	if err != nil {
		return "", false
	}
	fields := strings.Fields(string(b))
	if len(fields) == 0 || len(fields[0]) != sha256.Size*2 {
		return "", false
	}
	sum := strings.ToLower(fields[0])
	if _, err := hex.DecodeString(sum); err != nil {
		return "", false
	}
	return sum, true
}

// ldflagsVersion finds "-X some/pkg.Version=1.2.3" in the -ldflags build setting.
var ldflagsVersion = regexp.MustCompile(`-X[= ]['"]?[\w./-]+\.(?:Version|version|buildVersion|AgentVersion|agentVersion)=['"]?v?([0-9][^\s'"]*)`)

// markerVersion finds the banner agents print ("PatchMon Agent v1.2.3").
var markerVersion = regexp.MustCompile(`PatchMon Agent v([0-9]+\.[0-9]+\.[0-9]+[0-9A-Za-z.+~-]*)`)

// version reads the version of the named binary; see package agents for the order.
func (c *binaryCatalog) version(name string) (string, error) {
	if b, err := fs.ReadFile(c.fsys, name+".version"); err == nil {
		return strings.TrimPrefix(strings.TrimSpace(string(b)), "v"), nil
	}
	f, err := c.fsys.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if ra, ok := f.(io.ReaderAt); ok {
		if bi, err := buildinfo.Read(ra); err == nil {
			for _, s := range bi.Settings {
				if s.Key == "-ldflags" {
					if m := ldflagsVersion.FindStringSubmatch(s.Value); m != nil {
						return m[1], nil
					}
				}
			}
			if v := bi.Main.Version; v != "" && v != "(devel)" {
				return strings.TrimPrefix(v, "v"), nil
			}
		}
		if s, ok := f.(io.Seeker); ok {
			if _, err := s.Seek(0, io.SeekStart); err != nil {
				return "", err
			}
		} else {
			f.Close()
			if f, err = c.fsys.Open(name); err != nil {
				return "", err
			}
		}
	}
	return scanMarker(f)
}

// scanMarker streams r looking for the version banner, keeping an overlap between
// chunks so a banner split across two reads is still found.
func scanMarker(r io.Reader) (string, error) {
	const overlap = 64
	br := bufio.NewReaderSize(r, 64<<10)
	buf := make([]byte, 0, 64<<10+overlap)
	chunk := make([]byte, 64<<10)
	for {
		n, err := br.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if i := bytes.Index(buf, []byte("PatchMon Agent v")); i >= 0 {
			if m := markerVersion.FindSubmatch(buf[i:]); m != nil && (len(buf)-i > overlap || err != nil) {
				return string(m[1]), nil
			}
		}
		if err == io.EOF {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		if len(buf) > overlap {
			buf = append(buf[:0], buf[len(buf)-overlap:]...)
		}
	}
}
