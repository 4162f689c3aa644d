// Package migrations embeds PatchMon's database schema as numbered, forward-only SQL files
// (NNNN_description.sql). They are applied in order, each in its own transaction, by
// pkg/dbmigrate at server start and by `patchmon-server migrate`. A file is immutable once
// released: change the schema with a new file.
package migrations

import "embed"

// FS holds the migration files.
//
//go:embed *.sql
var FS embed.FS
