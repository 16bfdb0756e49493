"""FerretDB starts after a hard stop: the SQLite files it cannot open (a database with no table,
side files of a dropped one) are cleared first; a database with data is never touched."""

import sqlite3
from pathlib import Path

from tests.system import load_local_script

leftovers = load_local_script("sqlite_leftovers")


def database(path: Path, table: bool) -> None:
    connection = sqlite3.connect(path)
    try:
        if table:
            connection.execute("CREATE TABLE _ferretdb_collections (name TEXT)")
            connection.execute("INSERT INTO _ferretdb_collections VALUES ('reports')")
        connection.execute("PRAGMA user_version = 1")
        connection.commit()
    finally:
        connection.close()


def test_a_database_left_without_tables_and_a_dropped_ones_side_files_go(tmp_path: Path) -> None:
    database(tmp_path / "half_made.sqlite", table=False)
    (tmp_path / "half_made.sqlite-wal").write_bytes(b"")
    (tmp_path / "dropped.sqlite-wal").write_bytes(b"x" * 100)
    (tmp_path / "dropped.sqlite-shm").write_bytes(b"x" * 100)

    removed = leftovers.clear_leftovers(tmp_path)

    assert sorted(removed) == [
        "dropped.sqlite-shm",
        "dropped.sqlite-wal",
        "half_made.sqlite",
        "half_made.sqlite-wal",
    ]
    assert list(tmp_path.iterdir()) == []


def test_a_database_with_its_tables_and_a_file_sqlite_cannot_read_stay(tmp_path: Path) -> None:
    database(tmp_path / "stadtmelder_reports.sqlite", table=True)
    (tmp_path / "not_a_database.sqlite").write_bytes(b"this is not SQLite" * 300)

    assert leftovers.clear_leftovers(tmp_path) == []

    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "not_a_database.sqlite",
        "stadtmelder_reports.sqlite",
    ]
    with sqlite3.connect(tmp_path / "stadtmelder_reports.sqlite") as kept:
        assert kept.execute("SELECT name FROM _ferretdb_collections").fetchall() == [("reports",)]
    kept.close()


def test_no_directory_yet_is_nothing_to_clear(tmp_path: Path) -> None:
    assert leftovers.clear_leftovers(tmp_path / "ferretdb") == []
