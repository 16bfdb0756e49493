"""Reads what `kubectl apply --dry-run=server` printed into problems that each name their object.

kubectl names an accepted object on its own line and prints the server's warnings for it just
before that line (stdout and stderr read as one stream), but it prints the errors at the end,
and some (a strict decoding error, an unknown kind) name no object. An object that was rendered
and has no accepted line failed: each such object gets the error that names it, or else the one
that names its kind.
"""

from typing import Any

# kubectl ends an accepted object's line with this.
ACCEPTED = " (server dry run)"
WARNING = "Warning: "
# kubectl's hint after an unknown kind's error: it says nothing more about the object.
HINT = "ensure CRDs are installed first"


def object_key(manifest: dict[str, Any]) -> str:
    """How kubectl names the object: `deployment.apps/reports`, `service/reports`."""
    group = str(manifest.get("apiVersion", "")).rpartition("/")[0]
    resource = str(manifest.get("kind", "")).lower() + (f".{group}" if group else "")
    return f"{resource}/{manifest.get('metadata', {}).get('name')}"


def read(output: str, manifests: list[dict[str, Any]]) -> tuple[int, list[str]]:
    """How many objects the server accepted, and every error and warning."""
    accepted: set[str] = set()
    problems: list[str] = []
    warnings: list[str] = []
    errors: list[str] = []
    for line in output.splitlines():
        if line.startswith(WARNING):
            warnings.append(line.removeprefix(WARNING))
        elif line.endswith(ACCEPTED):
            key = line.removesuffix(ACCEPTED).rsplit(" ", 1)[0]
            accepted.add(key)
            problems += [f"{key}: warning: {warning}" for warning in warnings]
            warnings = []
        elif line.strip() and line.strip() != HINT:
            errors.append(line.strip())
    # Warnings with no object line after them: the object they concern was not accepted.
    problems += [f"warning: {warning}" for warning in warnings]
    failed = [m for m in manifests if object_key(m) not in accepted]
    problems += attribute(errors, failed)
    return len(accepted), problems


def attribute(errors: list[str], failed: list[dict[str, Any]]) -> list[str]:
    """Each failed object with the error that best names it: its kind and name, else its name,
    else only its kind (a strict decoding error names nothing more)."""
    found: dict[str, str] = {}
    remaining = list(errors)
    for matches in (names_kind_and_name, names_name, names_kind):
        for manifest in failed:
            key = object_key(manifest)
            error = next((e for e in remaining if key not in found and matches(e, manifest)), None)
            if error is not None:
                found[key] = error
                remaining.remove(error)
    problems = [
        f"{object_key(m)}: {found.get(object_key(m), 'not accepted by the server')}" for m in failed
    ]
    return problems + remaining


def names_kind_and_name(error: str, manifest: dict[str, Any]) -> bool:
    return names_kind(error, manifest) and names_name(error, manifest)


def names_name(error: str, manifest: dict[str, Any]) -> bool:
    return f'"{manifest.get("metadata", {}).get("name")}"' in error


def names_kind(error: str, manifest: dict[str, Any]) -> bool:
    return f"{manifest.get('kind')}" in error
