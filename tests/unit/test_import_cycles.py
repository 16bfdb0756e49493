"""No module-level import cycle between the project's modules: a cycle works only when its
modules happen to be imported in one order (a single test file run first, a worker importing a
module directly, failed with ImportError on one such cycle). A submodule's import of its own
package is left out: Python always runs the package first, so that one cannot bite."""

import ast
from collections.abc import Iterator
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

from tests.system import ROOT, SOURCE_ROOTS


def project_modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for source in SOURCE_ROOTS:
        for path in (ROOT / source).glob("stadtmelder_*/**/*.py"):
            parts = path.relative_to(ROOT / source).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imported_at_load(tree: ast.Module) -> Iterator[str]:
    """What a module imports as it loads: its top level and the branches there, not what
    `if TYPE_CHECKING:` names for the type checker only."""
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for statement in ast.walk(node):
            if isinstance(statement, ast.Import):
                yield from (alias.name for alias in statement.names)
            elif isinstance(statement, ast.ImportFrom) and statement.module and not statement.level:
                yield statement.module
                yield from (f"{statement.module}.{alias.name}" for alias in statement.names)


def ancestors(name: str) -> set[str]:
    parts = name.split(".")
    return {".".join(parts[:n]) for n in range(1, len(parts))}


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = {t for t in imported_at_load(ast.parse(path.read_text())) if t in modules}
        # Importing a.b.c runs a and a.b first.
        targets |= {p for t in targets for p in ancestors(t) if p in modules}
        graph[name] = targets - {name} - ancestors(name)
    return graph


def test_the_project_modules_import_without_a_cycle() -> None:
    graph = import_graph()
    assert len(graph) > 300, "the scan finds the services' modules"
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as error:
        raise AssertionError(f"an import cycle: {' -> '.join(error.args[1])}") from None
