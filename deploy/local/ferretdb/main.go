// Command ferretdb runs an embedded FerretDB 1.24 on SQLite or PostgreSQL for Stadtmelder's local
// system.
//
// The upstream cmd/ferretdb binary panics when built with `go install` because it expects a
// version file produced by its own build; embedding the library avoids that.
package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	backend := flag.String("backend", "sqlite", "where FerretDB stores documents: sqlite or postgresql")
	dataDir := flag.String("data", "var/ferretdb", "directory for the SQLite databases")
	postgresqlURL := flag.String("postgresql-url", "", "PostgreSQL connection string (postgresql backend)")
	flag.Parse()

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	config := ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: *listen},
		Logger:   logger,
		Handler:  *backend,
	}
	switch *backend {
	case "sqlite":
		if err := os.MkdirAll(*dataDir, 0o755); err != nil {
			logger.Error("cannot create data directory", "dir", *dataDir, "error", err)
			os.Exit(1)
		}
		config.SQLiteURL = "file:" + *dataDir + "/"
	case "postgresql":
		config.PostgreSQLURL = *postgresqlURL
	default:
		logger.Error("unknown backend, choose sqlite or postgresql", "backend", *backend)
		os.Exit(2)
	}

	db, err := ferretdb.New(&config)
	if err != nil {
		logger.Error("cannot start FerretDB", "error", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if *backend == "sqlite" {
		// On PostgreSQL, FerretDB indexes _id on the expression its lookups use; only SQLite needs this.
		go keepIDIndexes(ctx, *dataDir, 2*time.Second, logger)
	}

	logger.Warn("FerretDB listening", "uri", db.MongoDBURI())
	if err := db.Run(ctx); err != nil {
		logger.Error("FerretDB stopped with an error", "error", err)
		os.Exit(1)
	}
}
