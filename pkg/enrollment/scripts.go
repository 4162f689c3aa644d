package enrollment

import (
	"context"
	"embed"
	"errors"
	"strings"
)

// The scripts are complete and usable as downloaded from the repository (edit the
// configuration block); the server fills that block in when it serves them.
//
//go:embed scripts/proxmox_auto_enroll.sh scripts/direct_host_enroll.sh
var scriptFS embed.FS

// ScriptTypes maps the script types of GET /auto-enrollment/script to their files.
var scriptFiles = map[string]string{
	TypeProxmoxLXC: "scripts/proxmox_auto_enroll.sh",
	TypeDirectHost: "scripts/direct_host_enroll.sh",
}

// ScriptName is the file name a served script suggests.
func ScriptName(typ string) string {
	if f, ok := scriptFiles[typ]; ok {
		return strings.TrimPrefix(f, "scripts/")
	}
	return ""
}

// RawScript returns the script of type typ as shipped, with placeholder configuration.
func RawScript(typ string) ([]byte, error) {
	f, ok := scriptFiles[typ]
	if !ok {
		return nil, ErrInvalidScriptType
	}
	return scriptFS.ReadFile(f)
}

// The configuration lines of the scripts, as shipped. Environment variables still win
// over the values the server fills in.
const (
	lineURL    = `PATCHMON_URL="${PATCHMON_URL:-https://patchmon.example.com}"`
	lineKey    = `AUTO_ENROLLMENT_KEY="${AUTO_ENROLLMENT_KEY:-your_key_here}"`
	lineSecret = `AUTO_ENROLLMENT_SECRET="${AUTO_ENROLLMENT_SECRET:-your_secret_here}"`
	lineCurl   = `CURL_FLAGS="${CURL_FLAGS:--s}"`
	lineForce  = `FORCE_INSTALL="${FORCE_INSTALL:-false}"`
)

// Script returns the enrollment script of type typ (proxmox-lxc or direct-host) for
// the token with key and secret: the server URL, the credentials, the curl flags (-sk
// when the ignore_ssl_self_signed setting is on) and, with force, force install mode
// filled in. The caller has authenticated the credentials.
func (s *Service) Script(ctx context.Context, typ, key, secret string, force bool) (string, error) {
	raw, err := RawScript(typ)
	if err != nil {
		return "", err
	}
	st, err := s.inv.ServerSettings(ctx)
	if err != nil {
		return "", err
	}
	base := st.ServerURL
	if strings.ContainsAny(base, "\"\\$`}' \t\r\n") {
		return "", errors.New("enrollment: the public URL contains characters that cannot be written into a script")
	}
	for _, v := range []string{key, secret} {
		if strings.ContainsAny(v, "\"\\$`}' \t\r\n") {
			return "", ErrInvalidToken
		}
	}
	flags := "-s"
	if st.IgnoreSSLSelfSigned {
		flags = "-sk"
	}
	forceVal := "false"
	if force {
		forceVal = "true"
	}
	out := string(raw)
	for _, r := range []struct{ line, val, name string }{
		{lineURL, base, "PATCHMON_URL"},
		{lineKey, key, "AUTO_ENROLLMENT_KEY"},
		{lineSecret, secret, "AUTO_ENROLLMENT_SECRET"},
		{lineCurl, flags, "CURL_FLAGS"},
		{lineForce, forceVal, "FORCE_INSTALL"},
	} {
		if !strings.Contains(out, r.line) {
			return "", errors.New("enrollment: script " + typ + " lacks its " + r.name + " line")
		}
		out = strings.Replace(out, r.line, r.name+`="${`+r.name+`:-`+r.val+`}"`, 1)
	}
	return out, nil
}
