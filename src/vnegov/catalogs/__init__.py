"""Shared electronic catalogue system (Hệ thống danh mục điện tử dùng chung) — framework component 15.

Versioned code lists with effective dates that every other component and outside system uses:
administrative units before and after the 1/7/2025 reform with the crosswalk between them, agencies'
electronic ID codes, ethnic groups, nationalities, religions, sexes, document types, the national
portal's dossier statuses.

Published for other components: `vnegov.catalogs.service` functions (`get_item`, `list_items`,
`crosswalk`, ...), the types in `schemas`, the errors in `errors`, and the REST API under
`/api/v1/catalogs` (plus the `/dmdc/` shape provincial platforms already call).
"""
