package inventory

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"text/template"
)

//go:embed scripts/install.sh.tmpl scripts/remove.sh
var scriptFS embed.FS

var installTemplate = template.Must(template.ParseFS(scriptFS, "scripts/install.sh.tmpl"))

// RemoveScript returns the POSIX sh uninstaller served at hosts/remove.
func RemoveScript() []byte {
	b, err := scriptFS.ReadFile("scripts/remove.sh")
	if err != nil {
		// The file is embedded at build time; failing to read it is a build defect.
		panic(err)
	}
	return b
}

// bootstrapPayload is what a bootstrap token stands for.
type bootstrapPayload struct {
	APIID  string `json:"apiId"`
	APIKey string `json:"apiKey"`
}

// bootstrapKeys derives, from a token, where its payload is stored and the key that
// encrypts it. The store therefore holds neither the token nor anything readable
// without it: the plaintext API key never rests in Redis.
func bootstrapKeys(token string) (storeKey string, encKey []byte) {
	id := sha256.Sum256([]byte("patchmon bootstrap id\x00" + token))
	enc := sha256.Sum256([]byte("patchmon bootstrap key\x00" + token))
	return "bootstrap:" + hex.EncodeToString(id[:]), enc[:]
}

// issueBootstrapToken stores the agent's credentials under a new one-time token.
func (s *Service) issueBootstrapToken(ctx context.Context, a Agent) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	token := hex.EncodeToString(raw)
	plain, err := json.Marshal(bootstrapPayload{APIID: a.APIID, APIKey: a.apiKey})
	if err != nil {
		return "", err
	}
	storeKey, encKey := bootstrapKeys(token)
	gcm, err := newGCM(encKey)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	sealed := gcm.Seal(nonce, nonce, plain, []byte(storeKey))
	if err := s.cfg.Tokens.Put(ctx, storeKey, sealed, s.cfg.BootstrapTokenTTL); err != nil {
		return "", err
	}
	return token, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// ExchangeBootstrapToken redeems a bootstrap token for the credentials it was issued
// with. A token works once and only within BootstrapTokenTTL; credentials regenerated or
// a host deleted in the meantime make it fail too.
func (s *Service) ExchangeBootstrapToken(ctx context.Context, token string) (apiID, apiKey string, err error) {
	token = strings.ToLower(strings.TrimSpace(token))
	if len(token) != 64 {
		return "", "", ErrInvalidBootstrapToken
	}
	if _, err := hex.DecodeString(token); err != nil {
		return "", "", ErrInvalidBootstrapToken
	}
	storeKey, encKey := bootstrapKeys(token)
	sealed, ok, err := s.cfg.Tokens.Take(ctx, storeKey)
	if err != nil {
		return "", "", err
	}
	if !ok {
		return "", "", ErrInvalidBootstrapToken
	}
	gcm, err := newGCM(encKey)
	if err != nil {
		return "", "", err
	}
	if len(sealed) < gcm.NonceSize() {
		return "", "", ErrInvalidBootstrapToken
	}
	plain, err := gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], []byte(storeKey))
	if err != nil {
		return "", "", ErrInvalidBootstrapToken
	}
	var p bootstrapPayload
	if err := json.Unmarshal(plain, &p); err != nil {
		return "", "", ErrInvalidBootstrapToken
	}
	a, err := s.Authenticate(ctx, p.APIID, p.APIKey)
	if err == nil {
		// The cached verification may predate a regeneration; the host row decides.
		_, err = s.agentSettings(ctx, a)
	}
	if errors.Is(err, ErrInvalidCredentials) {
		return "", "", ErrInvalidBootstrapToken
	}
	if err != nil {
		return "", "", err
	}
	return p.APIID, p.APIKey, nil
}

// InstallOptions are the query parameters of hosts/install.
type InstallOptions struct {
	// Arch pins the architecture; empty lets the script detect it.
	Arch string
	// OS must be linux (or empty).
	OS string
	// Force makes the script reinstall over a working agent and tolerate broken
	// package-manager state.
	Force bool
	// Insecure makes the script and the installed agent accept a self-signed server
	// certificate even when the server setting (IgnoreSSLSelfSigned) is off.
	Insecure bool
}

type installData struct {
	URL, Token, Arch, Force, Insecure string
	UpdateInterval, TokenTTL          int
	Binaries                          []AgentBinary
}

// InstallScript renders the installer for agent a with a fresh bootstrap token.
func (s *Service) InstallScript(ctx context.Context, a Agent, opts InstallOptions) ([]byte, error) {
	if _, ok := normalizeOS(opts.OS); !ok {
		return nil, errorf(ErrUnsupportedPlatform, "Unsupported operating system %q: PatchMon agents run on linux", opts.OS)
	}
	arch := ""
	if strings.TrimSpace(opts.Arch) != "" {
		var ok bool
		if arch, ok = normalizeArch(opts.Arch); !ok {
			return nil, errorf(ErrUnsupportedPlatform, "Invalid architecture %q. Must be one of: amd64, arm64, arm, 386", opts.Arch)
		}
	}
	st, err := s.agentSettings(ctx, a)
	if err != nil {
		return nil, err
	}
	token, err := s.issueBootstrapToken(ctx, a)
	if err != nil {
		return nil, err
	}
	d := installData{
		URL:            shellQuote(st.ServerURL),
		Token:          token,
		Arch:           shellQuote(arch),
		Force:          strconv.FormatBool(opts.Force),
		Insecure:       strconv.FormatBool(st.IgnoreSSLSelfSigned || opts.Insecure),
		UpdateInterval: st.UpdateInterval,
		TokenTTL:       int(s.cfg.BootstrapTokenTTL.Seconds()),
	}
	for _, goarch := range AgentArchitectures() {
		bin, err := s.bins.lookup(AgentOS, goarch)
		if err == nil {
			d.Binaries = append(d.Binaries, bin)
		} else if !errors.Is(err, ErrNoAgentBinary) {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := installTemplate.Execute(&buf, d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// InstallCommand is the one-liner an administrator runs on a new host, in the form the
// server's ignore-self-signed setting calls for.
func (s *Service) InstallCommand(ctx context.Context, c Credentials) (string, error) {
	st, err := s.ServerSettings(ctx)
	if err != nil {
		return "", err
	}
	return installCommand(st.ServerURL, c, false, st.IgnoreSSLSelfSigned), nil
}

// installCommand renders the one-liner for the server at serverURL. force asks the script to tolerate broken
// package-manager state; insecure makes curl, the script and the installed agent accept
// a self-signed server certificate.
func installCommand(serverURL string, c Credentials, force, insecure bool) string {
	flags, u, sep := "-s", serverURL+"/api/v1/hosts/install", "?"
	if force {
		u += sep + "force=true"
		sep = "&"
	}
	if insecure {
		flags = "-sk"
		u += sep + "insecure=true"
	}
	return "curl " + flags + " " + shellQuote(u) +
		" -H " + shellQuote("X-API-ID: "+c.APIID) + " -H " + shellQuote("X-API-KEY: "+c.APIKey) + " | sudo sh"
}

// shellQuote quotes s for POSIX sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
