"""Request and response shapes of the catalogue system (the stable contract other systems use)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$"
CATALOG_CODE_PATTERN = r"^[a-z0-9][a-z0-9\-]{1,63}$"
FieldType = Literal["string", "integer", "number", "boolean", "date"]
CrosswalkKind = Literal["merge", "split", "rename", "transfer"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FieldSchema(Strict):
    """One attribute items of a catalogue carry (thuộc tính)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    type: FieldType = "string"
    label_vi: str = ""
    label_en: str = ""
    required: bool = False


class CatalogCreate(Strict):
    code: str = Field(pattern=CATALOG_CODE_PATTERN, description="Stable code, e.g. 'admin-units'")
    name_vi: str = Field(min_length=1, max_length=300)
    name_en: str = Field(min_length=1, max_length=300)
    owner_agency: str | None = Field(None, description="Owner agency code; default: the caller's agency")
    decision: str = ""
    description: str = ""
    source: str = ""
    licence: str = ""
    levels: list[str] = Field(default_factory=list, description="Hierarchy levels, top first")
    fields: list[FieldSchema] = Field(default_factory=list)


class CatalogRead(BaseModel):
    code: str
    name_vi: str
    name_en: str
    owner_agency: str
    decision: str
    description: str
    source: str
    licence: str
    levels: list[str]
    fields: list[FieldSchema]
    revision: int
    item_count: int = 0
    updated_at: datetime


class ItemRead(BaseModel):
    """An item as valid on a given date (or one version of its history)."""

    code: str
    name_vi: str
    name_en: str
    parent_code: str | None
    level: str | None
    attributes: dict[str, Any]
    valid_from: date | None
    valid_to: date | None


class CrosswalkEntry(BaseModel):
    from_code: str
    to_code: str
    effective: date
    kind: str
    note: str = ""


class ItemDetail(BaseModel):
    """An item with every version (lịch sử), its parent and children, and where its code went or came from."""

    catalog: str
    code: str
    current: ItemRead | None
    history: list[ItemRead]
    parent: ItemRead | None = None
    children_count: int = 0
    successors: list[CrosswalkEntry] = Field(default_factory=list)
    predecessors: list[CrosswalkEntry] = Field(default_factory=list)


class ItemPage(BaseModel):
    catalog: str
    valid_on: date | None
    page: int
    page_size: int
    total: int
    items: list[ItemRead]


class ItemCreate(Strict):
    code: str = Field(pattern=CODE_PATTERN)
    name_vi: str = Field(min_length=1, max_length=500)
    name_en: str = Field("", max_length=500)
    parent_code: str | None = Field(None, pattern=CODE_PATTERN)
    level: str | None = Field(None, max_length=40)
    attributes: dict[str, Any] = Field(default_factory=dict)
    valid_from: date | None = None
    valid_to: date | None = None


class ItemChange(Strict):
    """A change to an item. With `effective`, a new version starts that day (the old one ends the
    day before); without it, the current version is corrected in place (a typo, not a legal change)."""

    name_vi: str | None = Field(None, min_length=1, max_length=500)
    name_en: str | None = Field(None, max_length=500)
    parent_code: str | None = Field(None, pattern=CODE_PATTERN)
    level: str | None = Field(None, max_length=40)
    attributes: dict[str, Any] | None = None
    effective: date | None = None
    reason: str = Field("", max_length=500)


class ItemRetire(Strict):
    valid_to: date = Field(description="Last day the item is valid")
    reason: str = Field("", max_length=500)
    successors: list[str] = Field(default_factory=list, description="Codes that take its place")


class Merge(Strict):
    """Merge units into the one at the seat (Decision 124/2004: the seat keeps its code)."""

    seat_code: str = Field(pattern=CODE_PATTERN)
    merged_codes: list[str] = Field(min_length=1)
    effective: date
    name_vi: str | None = Field(None, min_length=1, max_length=500)
    name_en: str | None = None
    reason: str = Field("", max_length=500)


class Split(Strict):
    """Split a unit: it continues (keeping its code) at the seat, and new units are created."""

    code: str = Field(pattern=CODE_PATTERN)
    effective: date
    new_items: list[ItemCreate] = Field(min_length=1)
    name_vi: str | None = Field(None, min_length=1, max_length=500)
    reason: str = Field("", max_length=500)


class CrosswalkResult(BaseModel):
    catalog: str
    from_code: str
    on: date
    codes: list[str] = Field(description="The codes valid on `on` that now stand for `from_code`")
    path: list[CrosswalkEntry]
    items: list[ItemRead]


class ChangeRead(BaseModel):
    seq: int
    item_code: str | None
    change: str
    at: datetime
    data: dict[str, Any]


class ChangePage(BaseModel):
    catalog: str
    since: int
    next_since: int
    has_more: bool
    changes: list[ChangeRead]


def is_code(value: str) -> bool:
    return re.fullmatch(CODE_PATTERN, value) is not None
