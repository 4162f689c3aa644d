package apt

import (
	"net/url"
	"strings"

	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

// parseOneLineSources parses the classic one-line format of sources.list and
// sources.list.d/*.list:
//
//	deb [ arch=amd64 signed-by=/usr/share/keyrings/x.gpg ] http://host/path suite comp1 comp2
//
// Comments run from '#' to the end of the line; commented-out entries are not
// repositories and are skipped.
func parseOneLineSources(data string) []agentproto.Repository {
	var out []agentproto.Repository
	for _, line := range strings.Split(data, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) < 3 || (f[0] != "deb" && f[0] != "deb-src") {
			continue
		}
		typ, rest := f[0], f[1:]
		if strings.HasPrefix(rest[0], "[") {
			// Options may be written "[a=b c=d]" or "[ a=b ]": skip to the
			// token that closes the bracket.
			end := -1
			for i, tok := range rest {
				if strings.HasSuffix(tok, "]") {
					end = i
					break
				}
			}
			if end < 0 {
				continue
			}
			rest = rest[end+1:]
		}
		if len(rest) < 2 || !isRepoURI(rest[0]) {
			continue
		}
		out = append(out, repository(typ, rest[0], rest[1], strings.Join(rest[2:], " "), "", true))
	}
	return out
}

// parseDeb822Sources parses the deb822 format of sources.list.d/*.sources:
// paragraphs of "Field: value" lines separated by blank lines, where a field
// may continue on lines starting with white space (Signed-By often embeds a
// whole key that way) and lines starting with '#' are comments. Types, URIs
// and Suites hold space-separated lists; one repository is reported per
// combination. "Enabled: no" entries are reported with IsEnabled false.
func parseDeb822Sources(data string) []agentproto.Repository {
	var out []agentproto.Repository
	for _, para := range deb822Paragraphs(data) {
		types := strings.Fields(para["types"])
		uris := strings.Fields(para["uris"])
		suites := strings.Fields(para["suites"])
		if len(uris) == 0 || len(suites) == 0 {
			continue
		}
		if len(types) == 0 {
			types = []string{"deb"}
		}
		enabled := true
		switch strings.ToLower(strings.TrimSpace(para["enabled"])) {
		case "no", "false", "0":
			enabled = false
		}
		comps := strings.Join(strings.Fields(para["components"]), " ")
		name := strings.TrimSpace(para["x-repolib-name"])
		for _, typ := range types {
			if typ != "deb" && typ != "deb-src" {
				continue
			}
			for _, u := range uris {
				if !isRepoURI(u) {
					continue
				}
				for _, s := range suites {
					out = append(out, repository(typ, u, s, comps, name, enabled))
				}
			}
		}
	}
	return out
}

// deb822Paragraphs splits deb822 text into paragraphs of lower-cased field
// names (field names are case-insensitive) to values; continuation lines are
// joined to their field's value with a newline.
func deb822Paragraphs(data string) []map[string]string {
	var out []map[string]string
	var cur map[string]string
	last := ""
	flush := func() {
		if len(cur) > 0 {
			out = append(out, cur)
		}
		cur, last = nil, ""
	}
	for _, line := range strings.Split(data, "\n") {
		line = strings.TrimRight(line, " \t\r")
		switch {
		case line == "":
			flush()
		case strings.HasPrefix(line, "#"):
		case line[0] == ' ' || line[0] == '\t':
			if cur != nil && last != "" {
				cur[last] += "\n" + strings.TrimSpace(line)
			}
		default:
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			if cur == nil {
				cur = make(map[string]string)
			}
			last = strings.ToLower(strings.TrimSpace(k))
			cur[last] = strings.TrimSpace(v)
		}
	}
	flush()
	return out
}

// isRepoURI accepts the URI forms apt has transports for: scheme://… (http,
// https, ftp, mirror+http, tor+https, s3, …) and the file:, cdrom: and
// copy: forms that have no "//".
func isRepoURI(u string) bool {
	if strings.Contains(u, "://") {
		return true
	}
	return strings.HasPrefix(u, "file:") || strings.HasPrefix(u, "cdrom:") || strings.HasPrefix(u, "copy:")
}

func repository(typ, uri, suite, comps, name string, enabled bool) agentproto.Repository {
	if name == "" {
		name = repoName(uri, suite)
	}
	return agentproto.Repository{
		Name:         name,
		URL:          uri,
		Distribution: suite,
		Components:   comps,
		RepoType:     typ,
		IsEnabled:    enabled,
		IsSecure:     strings.Contains(strings.ToLower(uri), "https://"),
	}
}

// repoName derives a readable name from the URI and suite, e.g.
// "deb.debian.org/debian bookworm-security".
func repoName(uri, suite string) string {
	base := uri
	if u, err := url.Parse(uri); err == nil && u.Host != "" {
		base = u.Host + strings.TrimRight(u.Path, "/")
	}
	return strings.TrimSpace(base + " " + strings.TrimSuffix(suite, "/"))
}
