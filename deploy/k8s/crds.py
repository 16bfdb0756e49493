"""Strict JSON schemas of the custom resources we use, from CRD models that PyPI packages ship.

The cloudcoil model packages are generated from the operators' CustomResourceDefinitions; their
pydantic JSON schema, closed against unknown fields the way the API server prunes and rejects
them, stands in for the CRD's openAPIV3Schema. Deriving one takes seconds (the model modules
are large), so each is kept under var/tools/crd-schemas per package version.
"""

import importlib
import json
import os
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "var" / "tools" / "crd-schemas"


class Model(NamedTuple):
    distribution: str
    module: str
    name: str


MODELS: Mapping[tuple[str, str], Model] = {
    ("keda.sh/v1alpha1", kind): Model(
        "cloudcoil-models-keda", "cloudcoil.models.keda.v1alpha1", kind
    )
    for kind in ("ScaledObject", "TriggerAuthentication")
} | {
    ("monitoring.coreos.com/v1", kind): Model(
        "cloudcoil-models-prometheus-operator", "cloudcoil.models.prometheus_operator.v1", kind
    )
    for kind in ("PrometheusRule", "ServiceMonitor", "PodMonitor")
}


def source_of(api_version: str, kind: str) -> str | None:
    """Which package and version the schema of this kind comes from, or None if none does."""
    model = MODELS.get((api_version, kind))
    if model is None:
        return None
    try:
        return f"{model.distribution} {version(model.distribution)}"
    except PackageNotFoundError:
        return None


def schema_for(api_version: str, kind: str, cache: Path = CACHE) -> dict[str, Any] | None:
    """The strict schema of a custom resource, or None when no package describes it."""
    source = source_of(api_version, kind)
    if source is None:
        return None
    model = MODELS[(api_version, kind)]
    path = cache / source.replace(" ", "-") / f"{api_version.replace('/', '_')}_{kind}.json"
    if path.exists():
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return loaded
    cls = getattr(importlib.import_module(model.module), model.name)
    schema: dict[str, Any] = close_objects(cls.model_json_schema(by_alias=True))
    path.parent.mkdir(parents=True, exist_ok=True)
    # Renamed into place: a second validation running meanwhile never reads half a file.
    partial = path.with_suffix(f".{os.getpid()}.partial")
    partial.write_text(json.dumps(schema), encoding="utf-8")
    os.replace(partial, path)
    return schema


def close_objects(schema: Any) -> Any:
    """Forbids properties no schema names, in every object that lists its properties."""
    if isinstance(schema, dict):
        closed = {key: close_objects(value) for key, value in schema.items()}
        if "properties" in closed and "additionalProperties" not in closed:
            closed["additionalProperties"] = False
        return closed
    if isinstance(schema, list):
        return [close_objects(item) for item in schema]
    return schema
