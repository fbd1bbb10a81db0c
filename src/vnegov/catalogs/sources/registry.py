"""Every published catalogue the platform seeds, in import order.

Agencies come first: they own the other catalogues. Each source module names its data source and
licence in its docstring (`admin_units`, `reference`).
"""

from __future__ import annotations

from vnegov.catalogs.sources import CatalogSource
from vnegov.catalogs.sources.admin_units import ADMIN_UNITS
from vnegov.catalogs.sources.reference import (
    AGENCIES,
    BUSINESS_LINES,
    DOCUMENT_TYPES,
    DOSSIER_STATUSES,
    ETHNIC_GROUPS,
    NATIONALITIES,
    RELIGIONS,
    SEXES,
)

ALL_SOURCES: tuple[CatalogSource, ...] = (
    AGENCIES,
    ADMIN_UNITS,
    ETHNIC_GROUPS,
    NATIONALITIES,
    RELIGIONS,
    SEXES,
    DOCUMENT_TYPES,
    DOSSIER_STATUSES,
    BUSINESS_LINES,
)

__all__ = ["ALL_SOURCES"]
