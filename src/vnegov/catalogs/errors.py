"""Errors of the catalogue system (stable `code`s that clients may branch on)."""

from __future__ import annotations

from vnegov.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied


class CatalogNotFound(NotFound):
    code = "catalog_not_found"

    def __init__(self, catalog: str) -> None:
        super().__init__(f"catalogue '{catalog}' does not exist", catalog=catalog)


class ItemNotFound(NotFound):
    code = "item_not_found"

    def __init__(self, catalog: str, item: str) -> None:
        super().__init__(f"item '{item}' does not exist in catalogue '{catalog}'", catalog=catalog, item=item)


class CatalogExists(Conflict):
    code = "catalog_exists"


class CodeTaken(Conflict):
    """A code is never reused, even after it is retired (Decision 124/2004/QĐ-TTg)."""

    code = "code_taken"


class CodeRetired(Conflict):
    code = "code_retired"


class NotOwner(PermissionDenied):
    code = "not_catalog_owner"


class InvalidItem(InvalidInput):
    code = "invalid_item"
