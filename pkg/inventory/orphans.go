package inventory

import (
	"context"
	"fmt"
)

// Orphan cleanup removes catalogue rows no host refers to any more. Rows are locked in id
// order (SKIP LOCKED) so a cleanup never deadlocks with report ingest, which upserts the same
// catalogues in name order; a row ingest is about to link is skipped until the next run.
const (
	sqlDeleteOrphanedRepositories = `
WITH victims AS (
    SELECT r.id FROM repositories r
    WHERE NOT EXISTS (SELECT 1 FROM host_repositories hr WHERE hr.repository_id = r.id)
    ORDER BY r.id
    FOR UPDATE SKIP LOCKED)
DELETE FROM repositories r USING victims v
WHERE r.id = v.id
  AND NOT EXISTS (SELECT 1 FROM host_repositories hr WHERE hr.repository_id = r.id)`

	sqlDeleteOrphanedPackages = `
WITH victims AS (
    SELECT p.id FROM packages p
    WHERE NOT EXISTS (SELECT 1 FROM host_packages hp WHERE hp.package_id = p.id)
    ORDER BY p.id
    FOR UPDATE SKIP LOCKED)
DELETE FROM packages p USING victims v
WHERE p.id = v.id
  AND NOT EXISTS (SELECT 1 FROM host_packages hp WHERE hp.package_id = p.id)`
)

// DeleteOrphanedRepositories removes repositories that no host uses and returns how many.
// The server runs it daily as the orphaned-repo-cleanup job.
func (s *Service) DeleteOrphanedRepositories(ctx context.Context) (int64, error) {
	tag, err := s.db.Pool.Exec(ctx, sqlDeleteOrphanedRepositories)
	if err != nil {
		return 0, fmt.Errorf("inventory: delete orphaned repositories: %w", err)
	}
	return tag.RowsAffected(), nil
}

// DeleteOrphanedPackages removes packages that no host has installed and returns how many.
// The server runs it daily as the orphaned-package-cleanup job.
func (s *Service) DeleteOrphanedPackages(ctx context.Context) (int64, error) {
	tag, err := s.db.Pool.Exec(ctx, sqlDeleteOrphanedPackages)
	if err != nil {
		return 0, fmt.Errorf("inventory: delete orphaned packages: %w", err)
	}
	return tag.RowsAffected(), nil
}
