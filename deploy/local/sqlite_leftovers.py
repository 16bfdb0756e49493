"""FerretDB's SQLite directory cleared of databases it cannot open: a `.sqlite` file with no
table at all (not even FerretDB's `_ferretdb_collections`) is what a database being created or
dropped at the moment FerretDB stopped can leave, and FerretDB 1.24 then refuses to start
("no such table: _ferretdb_collections"). Such a file holds no data; it goes, with its
`-wal`/`-shm`, and so do `-wal`/`-shm` files whose database is gone."""

from __future__ import annotations

import sqlite3
from pathlib import Path

SIDE_FILES = ("-wal", "-shm")


def tables_in(database: Path) -> int | None:
    """How many tables the database has (its write-ahead log included); None if unreadable."""
    try:
        connection = sqlite3.connect(database, timeout=5)
    except sqlite3.Error:
        return None
    try:
        return int(connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0])
    except sqlite3.DatabaseError:
        return None
    finally:
        connection.close()


def clear_leftovers(directory: Path) -> list[str]:
    """Delete the empty databases and orphaned side files in `directory`; their names."""
    removed: list[str] = []
    if not directory.is_dir():
        return removed
    for database in sorted(directory.glob("*.sqlite")):
        if tables_in(database) == 0:
            for path in (database, *(Path(f"{database}{side}") for side in SIDE_FILES)):
                if path.exists():
                    path.unlink()
                    removed.append(path.name)
    for side in SIDE_FILES:
        for path in sorted(directory.glob(f"*.sqlite{side}")):
            if not Path(str(path).removesuffix(side)).exists():
                path.unlink()
                removed.append(path.name)
    return removed
