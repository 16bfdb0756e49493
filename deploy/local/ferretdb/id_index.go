package main

// FerretDB 1.24 indexes `_id` on the SQLite expression `_ferretdb_sjson->"_id"` but looks documents
// up with `_ferretdb_sjson->'$._id'`. SQLite matches index expressions by their text, so it never uses
// that index: every read or update by `_id` scans the whole table, and the local system slows down
// with every report stored. We add an index on the expression the lookups use, for every collection,
// as the collections appear. It changes no result, only the query plan (EXPLAIN QUERY PLAN shows
// SEARCH ... USING INDEX instead of SCAN).

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the SQLite driver FerretDB itself uses
)

const idIndexSuffix = "_stadtmelder_id"

// keepIDIndexes adds the missing `_id` lookup indexes now and then every `every` until ctx ends.
func keepIDIndexes(ctx context.Context, dataDir string, every time.Duration, logger *slog.Logger) {
	databases := map[string]*sql.DB{}
	defer func() {
		for _, db := range databases {
			db.Close()
		}
	}()

	ticker := time.NewTicker(every)
	defer ticker.Stop()

	for {
		files, _ := filepath.Glob(filepath.Join(dataDir, "*.sqlite"))
		for _, file := range files {
			db, known := databases[file]
			if !known {
				var err error
				db, err = sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(5000)")
				if err != nil {
					logger.Warn("cannot open database for the _id index", "file", file, "error", err)
					continue
				}
				db.SetMaxOpenConns(1)
				databases[file] = db
			}
			if err := addIDIndexes(ctx, db); err != nil && ctx.Err() == nil {
				// A collection dropped meanwhile, or a busy database: the next round tries again.
				logger.Warn("cannot add an _id index yet", "file", file, "error", err)
			}
		}

		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// addIDIndexes indexes `_ferretdb_sjson->'$._id'` in every collection table of db that lacks it.
func addIDIndexes(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `
		SELECT name FROM sqlite_master
		WHERE type = 'table' AND name NOT LIKE '\_ferretdb%' ESCAPE '\'
		AND name || ? NOT IN (SELECT name FROM sqlite_master WHERE type = 'index')`,
		idIndexSuffix,
	)
	if err != nil {
		return err
	}

	var tables []string
	for rows.Next() {
		var table string
		if err := rows.Scan(&table); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, table)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	for _, table := range tables {
		statement := fmt.Sprintf(
			`CREATE INDEX IF NOT EXISTS %s ON %s (_ferretdb_sjson->'$._id')`,
			quoteIdentifier(table+idIndexSuffix), quoteIdentifier(table),
		)
		if _, err := db.ExecContext(ctx, statement); err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
	}
	return nil
}

func quoteIdentifier(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
