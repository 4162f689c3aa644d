package settings

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"image/jpeg"
	"image/png"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/patchmon-go/patchmon/pkg/users"
)

// Kind names a branding asset.
type Kind string

// Branding assets. Their values are the database keys and the served file names' stems.
const (
	LogoDark  Kind = "logo_dark"
	LogoLight Kind = "logo_light"
	Favicon   Kind = "favicon"
)

// Kinds lists every branding asset.
var Kinds = []Kind{LogoDark, LogoLight, Favicon}

// KindFromLogoType maps the API's logoType (dark, light, favicon) to a Kind.
func KindFromLogoType(t string) (Kind, bool) {
	switch t {
	case "dark":
		return LogoDark, true
	case "light":
		return LogoLight, true
	case "favicon":
		return Favicon, true
	}
	return "", false
}

// Path is where the asset is served. The names are upstream's; the Content-Type says
// what the file really is.
func (k Kind) Path() string {
	switch k {
	case LogoDark:
		return "/assets/logo_dark.png"
	case LogoLight:
		return "/assets/logo_light.png"
	}
	return "/assets/favicon.svg"
}

// Content types of accepted files.
const (
	TypePNG  = "image/png"
	TypeJPEG = "image/jpeg"
	TypeSVG  = "image/svg+xml"
	TypeICO  = "image/x-icon"
)

//go:embed defaults
var defaults embed.FS

// Asset is a branding file as served.
type Asset struct {
	Kind        Kind
	ContentType string
	Data        []byte
	// Version identifies the content (a prefix of its SHA-256); it changes with the file.
	Version string
	// Size is the file's length in bytes.
	Size int
	// Custom is false for the built-in default.
	Custom    bool
	UpdatedAt time.Time
}

// URL is the asset's path with its version, so browsers fetch a new file at once.
func (a Asset) URL() string { return a.Kind.Path() + "?v=" + a.Version }

func defaultAsset(k Kind) Asset {
	b, err := defaults.ReadFile("defaults/" + string(k) + ".svg")
	if err != nil {
		panic(err) // the files are embedded; a missing one is a build error
	}
	sum := sha256.Sum256(b)
	return Asset{Kind: k, ContentType: TypeSVG, Data: b, Size: len(b), Version: "default-" + hex.EncodeToString(sum[:4])}
}

func version(sha string) string {
	if len(sha) > 16 {
		return sha[:16]
	}
	return sha
}

// Asset returns the uploaded file of kind k, or the built-in default.
func (s *Service) Asset(ctx context.Context, k Kind) (Asset, error) {
	a := Asset{Kind: k, Custom: true}
	var sha string
	err := s.db.Pool.QueryRow(ctx, sqlBrandingAsset, string(k)).Scan(&a.ContentType, &a.Data, &sha, &a.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return defaultAsset(k), nil
	}
	if err != nil {
		return Asset{}, err
	}
	a.Version, a.Size = version(sha), len(a.Data)
	return a, nil
}

// AssetVersion returns the current version of kind k without reading the file, for
// answering conditional requests.
func (s *Service) AssetVersion(ctx context.Context, k Kind) (string, error) {
	var sha string
	err := s.db.Pool.QueryRow(ctx, sqlBrandingVersion, string(k)).Scan(&sha)
	if errors.Is(err, pgx.ErrNoRows) {
		return defaultAsset(k).Version, nil
	}
	return version(sha), err
}

// Branding describes every asset (without the file contents).
func (s *Service) Branding(ctx context.Context) (map[Kind]Asset, error) {
	out := make(map[Kind]Asset, len(Kinds))
	for _, k := range Kinds {
		out[k] = defaultAsset(k)
	}
	rows, err := s.db.Pool.Query(ctx, sqlBrandingMeta)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			k    string
			a    = Asset{Custom: true}
			size int
			sha  string
		)
		if err := rows.Scan(&k, &a.ContentType, &size, &sha, &a.UpdatedAt); err != nil {
			return nil, err
		}
		a.Kind, a.Version, a.Size = Kind(k), version(sha), size
		out[a.Kind] = a
	}
	return out, rows.Err()
}

// DecodeUpload decodes the API's fileContent: base64, optionally as a data URL.
func DecodeUpload(content string) ([]byte, error) {
	content = strings.TrimSpace(content)
	if strings.HasPrefix(content, "data:") {
		_, after, ok := strings.Cut(content, ",")
		if !ok {
			return nil, invalid(CodeInvalidFile, "fileContent", "File content is not a valid data URL")
		}
		content = after
	}
	b, err := base64.StdEncoding.DecodeString(content)
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(content); err != nil {
			return nil, invalid(CodeInvalidFile, "fileContent", "File content must be base64-encoded (or a data URL)")
		}
	}
	if len(b) == 0 {
		return nil, invalid(CodeInvalidFile, "fileContent", "The file is empty")
	}
	return b, nil
}

var (
	svgEventHandler = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
	svgForbidden    = []string{"<script", "javascript:", "<foreignobject", "<iframe", "<embed", "<object", "<!entity"}
)

// SniffType returns the content type of an accepted image file, or an error saying why
// it is refused. Only the content counts, never a file name.
func SniffType(k Kind, b []byte) (string, error) {
	var ct string
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		if _, err := png.DecodeConfig(bytes.NewReader(b)); err != nil {
			return "", invalid(CodeInvalidFile, "fileContent", "The file is not a valid PNG image")
		}
		ct = TypePNG
	case bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}):
		if _, err := jpeg.DecodeConfig(bytes.NewReader(b)); err != nil {
			return "", invalid(CodeInvalidFile, "fileContent", "The file is not a valid JPEG image")
		}
		ct = TypeJPEG
	case len(b) >= 6 && bytes.HasPrefix(b, []byte{0, 0, 1, 0}) && (b[4] != 0 || b[5] != 0):
		ct = TypeICO
	case looksLikeSVG(b):
		lower := strings.ToLower(string(b))
		for _, bad := range svgForbidden {
			if strings.Contains(lower, bad) {
				return "", invalid(CodeInvalidFile, "fileContent", "SVG files may not contain scripts, event handlers, javascript: links or embedded HTML")
			}
		}
		if svgEventHandler.MatchString(lower) {
			return "", invalid(CodeInvalidFile, "fileContent", "SVG files may not contain scripts, event handlers, javascript: links or embedded HTML")
		}
		ct = TypeSVG
	default:
		return "", invalid(CodeInvalidFile, "fileContent", "Unsupported file type: upload a PNG, JPEG, SVG or ICO image")
	}
	if k == Favicon && ct == TypeJPEG {
		return "", invalid(CodeInvalidFile, "fileContent", "A favicon must be a PNG, SVG or ICO image")
	}
	return ct, nil
}

// looksLikeSVG accepts UTF-8 text whose first element is <svg (after an optional BOM,
// XML declaration, comments and doctype).
func looksLikeSVG(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	s := strings.TrimPrefix(string(b), "\ufeff")
	for {
		s = strings.TrimLeft(s, " \t\r\n")
		switch {
		case strings.HasPrefix(s, "<?"):
			_, rest, ok := strings.Cut(s, "?>")
			if !ok {
				return false
			}
			s = rest
		case strings.HasPrefix(s, "<!--"):
			_, rest, ok := strings.Cut(s, "-->")
			if !ok {
				return false
			}
			s = rest
		case strings.HasPrefix(strings.ToUpper(s), "<!DOCTYPE"):
			_, rest, ok := strings.Cut(s, ">")
			if !ok {
				return false
			}
			s = rest
		default:
			return strings.HasPrefix(s, "<svg") && len(s) > 4 && strings.ContainsRune(" \t\r\n>/", rune(s[4]))
		}
	}
}

// Upload validates file and stores it as kind k.
func (s *Service) Upload(ctx context.Context, k Kind, file []byte, fileName string) (Asset, error) {
	if len(file) > s.cfg.MaxAssetBytes {
		return Asset{}, invalid(CodeFileTooLarge, "fileContent",
			fmt.Sprintf("The file is too large: the limit is %d KiB", s.cfg.MaxAssetBytes>>10))
	}
	ct, err := SniffType(k, file)
	if err != nil {
		return Asset{}, err
	}
	sum := sha256.Sum256(file)
	sha := hex.EncodeToString(sum[:])
	var by any
	if p, ok := users.PrincipalFrom(ctx); ok {
		by = p.UserID
	}
	if _, err := s.db.Pool.Exec(ctx, sqlUpsertBranding, string(k), ct, file, sha, fileName, by); err != nil {
		return Asset{}, err
	}
	s.cfg.Audit(ctx, users.AuditEntry{Event: EventBrandingUpdated, Success: true, TargetType: "settings",
		TargetID: string(k), TargetName: fileName, Details: map[string]any{"content_type": ct, "size": len(file)}})
	return Asset{Kind: k, ContentType: ct, Data: file, Size: len(file), Version: version(sha), Custom: true, UpdatedAt: time.Now()}, nil
}

// Remove deletes the uploaded file of kind k, so the default is served again. Removing
// a default is not an error.
func (s *Service) Remove(ctx context.Context, k Kind) error {
	tag, err := s.db.Pool.Exec(ctx, sqlDeleteBranding, string(k))
	if err != nil {
		return err
	}
	if tag.RowsAffected() > 0 {
		s.cfg.Audit(ctx, users.AuditEntry{Event: EventBrandingRemoved, Success: true, TargetType: "settings", TargetID: string(k)})
	}
	return nil
}
