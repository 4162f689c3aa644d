package settings

// SQL of this package. The settings table has exactly one row (id = 1).
const (
	sqlGetSettings = `
SELECT server_protocol, server_host, server_port, agent_update_interval, agent_auto_update,
       ignore_ssl_self_signed, updated_at
FROM settings WHERE id = 1`

	// sqlUpdateSettings changes the given fields ($n IS NULL keeps a column) and returns
	// the interval from before the change, read under the row lock.
	sqlUpdateSettings = `
UPDATE settings s SET
    server_protocol        = COALESCE($1, s.server_protocol),
    server_host            = COALESCE($2, s.server_host),
    server_port            = COALESCE($3, s.server_port),
    server_url             = COALESCE($4, s.server_url),
    agent_update_interval  = COALESCE($5, s.agent_update_interval),
    agent_auto_update      = COALESCE($6, s.agent_auto_update),
    ignore_ssl_self_signed = COALESCE($7, s.ignore_ssl_self_signed),
    updated_at             = now()
FROM (SELECT agent_update_interval FROM settings WHERE id = 1 FOR UPDATE) old
WHERE s.id = 1
RETURNING old.agent_update_interval`

	sqlBrandingMeta = `
SELECT kind, content_type, octet_length(data), sha256, updated_at FROM branding_assets`

	sqlBrandingAsset = `
SELECT content_type, data, sha256, updated_at FROM branding_assets WHERE kind = $1`

	sqlBrandingVersion = `SELECT sha256 FROM branding_assets WHERE kind = $1`

	sqlUpsertBranding = `
INSERT INTO branding_assets (kind, content_type, data, sha256, file_name, updated_by, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, now())
ON CONFLICT (kind) DO UPDATE SET content_type = EXCLUDED.content_type, data = EXCLUDED.data,
    sha256 = EXCLUDED.sha256, file_name = EXCLUDED.file_name, updated_by = EXCLUDED.updated_by,
    updated_at = now()`

	sqlDeleteBranding = `DELETE FROM branding_assets WHERE kind = $1`
)
