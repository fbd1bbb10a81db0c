"""Where the seeded reference data comes from (nguồn dữ liệu danh mục).

Each source module turns a public dataset into plain records, with no database in sight, so the
records can be tested on their own and imported by `vnegov catalogs import` or the demo seed.
Every module names its source and licence in its docstring.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class FieldSpec:
    """One attribute in a catalogue's field schema (what `/dmdc/Metadata/{code}` lists)."""

    name: str
    type: str  # "string" | "integer" | "number" | "boolean" | "date"
    label_vi: str
    label_en: str
    required: bool = False


@dataclass(frozen=True)
class ItemRecord:
    """One version of a catalogue item: a code with its name and place, valid over a date range.

    The same code may appear in several records with consecutive, non-overlapping date ranges
    (a unit renamed or moved under a new parent keeps its code: Decision 124/2004/QĐ-TTg).
    `valid_from=None` means "since before this dataset's records begin"; `valid_to` is the last
    day the version is valid (inclusive), None while it still is.
    """

    code: str
    name_vi: str
    name_en: str = ""
    parent_code: str | None = None
    level: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    valid_from: date | None = None
    valid_to: date | None = None


@dataclass(frozen=True)
class CrosswalkRecord:
    """An old code and the code that took its place from `effective` on (bảng chuyển đổi mã).

    `kind` is "merge" (several old units into one), "split" (one old unit into several),
    "rename" or "transfer". One old code maps to several new ones when it was split.
    """

    from_code: str
    to_code: str
    effective: date
    kind: str = "merge"
    note: str = ""


@dataclass(frozen=True)
class CatalogSource:
    """A catalogue as published by its owner: metadata, field schema and a way to read its items."""

    code: str
    name_vi: str
    name_en: str
    owner_agency: str
    decision: str
    description: str
    fields: tuple[FieldSpec, ...]
    items: Callable[[], Iterable[ItemRecord]]
    crosswalks: Callable[[], Iterable[CrosswalkRecord]] = lambda: ()
    source: str = ""
    licence: str = ""
