"""The layout stays walkable for a newcomer: no module of a service or of shared/ over 400 lines,
and the route of one report in docs/architecture.md names at most eight files, each there and
under 300 lines (an outbox relay that grew to 326 lines once left the page out of date)."""

import re

from tests.system import ROOT, SOURCE_ROOTS

MODULE_MAX_LINES = 400
WALK_MAX_FILES = 8
WALK_FILE_MAX_LINES = 300
# A row of the walk's table: `| 3 | `services/.../file.py` | what happens there |`.
WALK_ROW = re.compile(r"^\| \d+ \| `([^`]+\.py)` \|", re.MULTILINE)


def line_count(relative: str) -> int:
    return len((ROOT / relative).read_text(encoding="utf-8").splitlines())


def test_no_module_of_a_service_or_of_shared_is_over_400_lines() -> None:
    modules = [
        path for source in SOURCE_ROOTS for path in (ROOT / source).glob("stadtmelder_*/**/*.py")
    ]
    too_long = {
        str(path.relative_to(ROOT)): lines
        for path in modules
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MODULE_MAX_LINES
    }
    assert {path.relative_to(ROOT).parts[0] for path in modules} == {"shared", "services"}
    assert len(modules) > 100
    assert too_long == {}


def test_one_report_passes_at_most_eight_files_each_under_300_lines() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    walk = WALK_ROW.findall(page)
    assert 1 <= len(walk) <= WALK_MAX_FILES, walk
    too_long = {
        relative: line_count(relative)
        for relative in walk
        if line_count(relative) >= WALK_FILE_MAX_LINES
    }
    assert too_long == {}
