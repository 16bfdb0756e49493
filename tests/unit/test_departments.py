"""The department directory: which language a department's mails are written in."""

import json
from pathlib import Path

import pytest

from stadtmelder_shared.departments import load_directory


def directory_file(tmp_path: Path, **language: str) -> Path:
    department = {"id": "port", "names": {"de": "Hafen"}, **language}
    path = tmp_path / "departments.json"
    path.write_text(json.dumps({"departments": [department]}), encoding="utf-8")
    return path


def test_a_department_reads_the_language_the_directory_gives_it(tmp_path: Path) -> None:
    department = load_directory(directory_file(tmp_path, language="tr")).get("port")

    assert department is not None
    assert department.language == "tr"


def test_a_department_without_a_language_reads_german(tmp_path: Path) -> None:
    department = load_directory(directory_file(tmp_path)).get("port")

    assert department is not None
    assert department.language == "de"


def test_a_language_the_mails_are_not_written_in_is_refused_with_the_department(
    tmp_path: Path,
) -> None:
    with pytest.raises(ValueError, match="department port: language 'fr' is not de, en or tr"):
        load_directory(directory_file(tmp_path, language="fr"))


def test_duisburgs_departments_all_read_german() -> None:
    assert {department.language for department in load_directory().departments} == {"de"}
