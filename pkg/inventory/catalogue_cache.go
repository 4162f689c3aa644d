package inventory

import (
	"errors"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
)

// catalogueCache remembers which catalogue row (packages) a package name resolves to,
// so that a report naming packages the server has seen before needs no lookup.
//
// A cached row keeps the id, the latest version and only whether a description and a
// category are set, which is all ingest decides on: a row that looks as if it needs a
// catalogue update is locked and re-read before anything is written (updateCatalogue),
// so a cached row that is older than the database costs a re-check, never a wrong
// write. Entries are added only after the transaction that read them has committed.
// An id can go stale only when the package row is deleted (orphan cleanup) and
// re-created; writing a host row with it then fails its foreign key, and ingest
// empties the cache and runs the report again.
type catalogueCache struct {
	mu   sync.RWMutex
	rows map[string]catalogueRow
	max  int
}

// setMarker stands for a non-empty description or category.
const setMarker = "+"

func newCatalogueCache(max int) *catalogueCache {
	return &catalogueCache{rows: make(map[string]catalogueRow), max: max}
}

// resolve fills into with the cached rows of names and returns the names it does not
// know.
func (c *catalogueCache) resolve(names []string, into map[string]*catalogueRow) []string {
	missing := make([]string, 0, len(names))
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, n := range names {
		if r, ok := c.rows[n]; ok {
			into[n] = &r
			continue
		}
		missing = append(missing, n)
	}
	return missing
}

// add records rows read or written by a committed transaction. When the cache is
// full it starts again empty: the names in use come back with the next reports.
func (c *catalogueCache) add(rows map[string]*catalogueRow) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.rows)+len(rows) > c.max {
		clear(c.rows)
	}
	for name, r := range rows {
		if len(c.rows) >= c.max {
			break
		}
		c.rows[name] = catalogueRow{id: r.id, description: marker(r.description), category: marker(r.category), latest: r.latest}
	}
}

// purge forgets everything.
func (c *catalogueCache) purge() {
	c.mu.Lock()
	clear(c.rows)
	c.mu.Unlock()
}

// len is the number of cached names.
func (c *catalogueCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.rows)
}

func marker(s string) string {
	if s == "" {
		return ""
	}
	return setMarker
}

// isForeignKeyViolation reports whether err is a foreign-key violation (23503).
func isForeignKeyViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503"
}
