"""The catalogue system's domain logic: the only code that touches `catalogs.models`.

A package (`common`, `reads`, `writes`, `bulk`); this module is its door: what other code calls is
re-exported here.

Reads take a session and return schemas, never ORM rows. Writes take `actor=` (who acts, for which
agency), check that the actor's agency owns the catalogue, validate, write the change, its audit
row, its change-feed entry and its outbox event in the caller's transaction, and never commit.

Every write first bumps the catalogue's `revision`, which takes the row lock on PostgreSQL: writes
to one catalogue are serialised, so change-feed sequence numbers of a catalogue become visible in
order and a subscriber reading `since=N` never skips a change.
"""

from __future__ import annotations

from vnegov.catalogs.service.bulk import (
    export_document,
    import_source,
    source_from_export,
    with_items,
)
from vnegov.catalogs.service.common import (
    EVENT_TOPIC,
    PLATFORM_ADMIN,
    Progress,
)
from vnegov.catalogs.service.reads import (
    access_catalog,
    access_item,
    catalog_revision,
    catalogs_revision_tag,
    crosswalk,
    get_item,
    iter_versions,
    list_catalogs,
    list_changes,
    list_crosswalks,
    list_items,
)
from vnegov.catalogs.service.writes import (
    AGENCIES,
    change_item,
    create_catalog,
    create_item,
    merge_items,
    retire_item,
    split_item,
)

__all__ = [
    "AGENCIES",
    "EVENT_TOPIC",
    "PLATFORM_ADMIN",
    "Progress",
    "access_catalog",
    "access_item",
    "catalog_revision",
    "catalogs_revision_tag",
    "change_item",
    "create_catalog",
    "create_item",
    "crosswalk",
    "export_document",
    "get_item",
    "import_source",
    "iter_versions",
    "list_catalogs",
    "list_changes",
    "list_crosswalks",
    "list_items",
    "merge_items",
    "retire_item",
    "source_from_export",
    "split_item",
    "with_items",
]
