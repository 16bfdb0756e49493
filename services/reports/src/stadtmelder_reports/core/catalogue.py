"""A jurisdiction as data: its names, category catalogue with questions, and boundary."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stadtmelder_reports.core.categories import Category, Choice, Group, Question, StopRule
from stadtmelder_reports.core.geography import Boundary, load_boundary
from stadtmelder_shared.departments import Directory, load_directory

DEFAULT_DIRECTORY = Path(__file__).parent.parent / "jurisdictions" / "duisburg"


@dataclass(frozen=True)
class Jurisdiction:
    code: str
    open311_id: str
    names: Mapping[str, str]
    groups: tuple[Group, ...]
    categories: tuple[Category, ...]
    boundary: Boundary

    def category(self, code: str) -> Category | None:
        return next((c for c in self.categories if c.code == code), None)


def load_jurisdiction(
    directory: Path = DEFAULT_DIRECTORY, boundary_file: Path | None = None
) -> Jurisdiction:
    """Reads `categories.json` and `boundary.geojson`; an official boundary may replace ours."""
    data = json.loads((directory / "categories.json").read_text(encoding="utf-8"))
    return Jurisdiction(
        code=data["jurisdiction"],
        open311_id=data["open311_jurisdiction_id"],
        names=data["name"],
        groups=tuple(Group(g["code"], g["names"]) for g in data["groups"]),
        categories=tuple(_category(c) for c in data["categories"]),
        boundary=load_boundary(boundary_file or directory / "boundary.geojson"),
    )


def load_departments(departments_file: Path | None = None) -> Directory:
    """The departments with their SLAs: official data if given, else the shipped directory."""
    return load_directory(departments_file)


def _category(data: Mapping[str, Any]) -> Category:
    return Category(
        code=data["code"],
        group=data["group"],
        names=data["names"],
        description=data["description"],
        keywords={lang: tuple(words) for lang, words in data.get("keywords", {}).items()},
        anonymous_allowed=bool(data["anonymous_allowed"]),
        questions=tuple(
            sorted((_question(q) for q in data.get("questions", [])), key=lambda q: q.order)
        ),
    )


def _question(data: Mapping[str, Any]) -> Question:
    stop = data.get("stop")
    return Question(
        code=data["code"],
        datatype=data["datatype"],
        required=bool(data["required"]),
        order=int(data["order"]),
        text=data["text"],
        help=data.get("help"),
        values=tuple(Choice(v["key"], v["names"]) for v in data.get("values", [])),
        stop=StopRule(frozenset(stop["values"]), stop["advice"]) if stop else None,
    )
