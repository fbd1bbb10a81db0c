"""The GovStack Digital Registries Building Block's data API over the base registries.

The record-level data API of the GovStack spec v2.0.0 ("23Q4", the newest stable; 3.0.0-alpha leaves
its section 8 unchanged), with the v1.0 spellings v2 renamed (`read-value`, `update-entries`,
`MyPersonalDataUsage/1.0`). Each registry serves it on its own exchange service and, like the native
API (`api.py`), only through the exchange: the same delivery check, the same purpose rule, the same
field grants, and every read leaves a `DataAccess` row. Paths relative to the service
(`/r1/VN/GOV/G01/DANCU/congDan/v1`, `/r1/VN/GOV/G12/DKDN/doanhNghiep/v1`):

    POST /govstack/data/{registry}/{version}/read     {"query": {"content": {…}}} → {"content": record},
                                                       or 404 {"detail": "no record found"}
    POST /govstack/data/{registry}/{version}/exists   → 200 {"answer": {"status": bool, "message": …}}
    GET  /govstack/data/{registry}/{version}          → {"count", "next", "previous", "results"}
    GET  /govstack/data/{registry}/{version}/{id}/readValue/{field}.{ext}   (v1: read-value), json or txt
    GET  /govstack/data/mypersonalDataUsage?userId=&databaseId=   (v1: MyPersonalDataUsage/1.0?userID=…)
    create, update, updateEntries, updateOrCreate, createEntries, delete: refused (403)

`registry` is `population` (on congDan) or `enterprises` (on doanhNghiep); `version` is the registry's
schema version, `1.0`. Records are flat camelCase (`POPULATION_CONTENT`, `ENTERPRISE_CONTENT`) and hold
only what the caller may read. A query names one record by its identifier (`exists` on population
also takes the name and date of birth it confirms); any other key is refused, naming it. Where the
spec leaves room, the law decides:
- population `list` is refused (403): no bulk listing or searching of personal data on the exchange.
- writes are refused with 403, not 405: the operations exist and are understood, but only the keeping
  agency's officials write, through the admin API, each change with its reason and audit row.
- `Information-Mediator-Client` is optional: the gateway has authenticated the caller (X-Road-Client);
  when sent, it must name that same system.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import unquote, urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from vnegov.catalogs import service as catalogs
from vnegov.exchange.identifiers import parse_client
from vnegov.kernel.errors import InvalidInput, NotFound, PermissionDenied
from vnegov.kernel.http import ReadSession, WriteSession
from vnegov.registries import access, api, enterprises, identifiers, population, schemas
from vnegov.registries.access import Accessor

router = APIRouter(prefix="/api/v1/registries", tags=["registries"])

VERSIONS = ("1.0",)
MEDIATOR_HEADER = "Information-Mediator-Client"
FOUND, NOT_FOUND = "Object found from database", "Object not found from database"
SEARCH_FIELDS = ("names", "type", "head_office", "status")  # what `enterprises.search` returns

# Content key → (native field of the grant, part of that field's value; None: the value itself).
POPULATION_CONTENT: dict[str, tuple[str, str | None]] = {
    "familyName": ("full_name", "family"),
    "middleName": ("full_name", "middle"),
    "givenName": ("full_name", "given"),
    "fullName": ("full_name", "text"),
    "birthDate": ("birth_date", None),
    "sex": ("sex", None),
    "ethnicity": ("ethnicity", None),
    "religion": ("religion", None),
    "nationality": ("nationality", None),
    "birthPlaceCommune": ("birth_place", "commune"),
    "birthPlace": ("birth_place", "text"),
    "hometownCommune": ("hometown", "commune"),
    "permanentResidenceCommune": ("permanent_residence", "commune"),
    "permanentResidenceAddress": ("permanent_residence", "address"),
    "currentResidenceCommune": ("current_residence", "commune"),
    "currentResidenceAddress": ("current_residence", "address"),
    "fatherPersonalId": ("parents", "father"),
    "motherPersonalId": ("parents", "mother"),
    "spousePersonalId": ("spouse", None),
    "householdCode": ("household", "code"),
    "householdHeadPersonalId": ("household", "head"),
    "householdRelation": ("household", "relation"),
    "status": ("status", "status"),
    "deathDate": ("status", "death_date"),
}
ENTERPRISE_CONTENT: dict[str, tuple[str, str | None]] = {
    "nameVi": ("names", "vi"),
    "nameEn": ("names", "en"),
    "shortName": ("names", "short"),
    "enterpriseType": ("type", "code"),
    "enterpriseTypeName": ("type", "name"),
    "headOfficeCommune": ("head_office", "commune"),
    "headOfficeAddress": ("head_office", "address"),
    "representativePersonalId": ("representative", "personal_id"),
    "charterCapital": ("charter_capital", None),
    "businessLines": ("business_lines", None),
    "registeredOn": ("dates", "registered_on"),
    "status": ("status", "status"),
    "statusSince": ("status", "since"),
    "branches": ("branches", "branches"),
    "parentCode": ("branches", "parent"),
}


@dataclass(frozen=True)
class Registry:
    """One registry as the GovStack API names it, and where it is served and written."""

    name: str  # in GovStack paths
    database: str  # schemas.POPULATION | schemas.ENTERPRISE
    service: str  # its exchange service
    key: str  # the record's identifier among the content keys
    native_key: str  # … and in the native record
    content: Mapping[str, tuple[str, str | None]]
    written_by: str


POPULATION = Registry(
    name="population",
    database=schemas.POPULATION,
    service="VN/GOV/G01/DANCU/congDan/v1",
    key="personalId",
    native_key="personal_id",
    content=POPULATION_CONTENT,
    written_by="the Ministry of Public Security's officials (G01), through POST /api/v1/registries/admin/"
    "citizens and PATCH /api/v1/registries/admin/citizens/{personal_id}",
)
ENTERPRISES = Registry(
    name="enterprises",
    database=schemas.ENTERPRISE,
    service="VN/GOV/G12/DKDN/doanhNghiep/v1",
    key="code",
    native_key="code",
    content=ENTERPRISE_CONTENT,
    written_by="the Ministry of Finance's business registration officials (G12), through POST "
    "/api/v1/registries/admin/enterprises and PATCH /api/v1/registries/admin/enterprises/{code}",
)
REGISTRIES = {r.name: r for r in (POPULATION, ENTERPRISES)}


class RegistryNotFound(NotFound):
    code = "registry_not_found"


class WrittenByOfficials(PermissionDenied):
    code = "written_by_officials"


class NoBulkListing(PermissionDenied):
    code = "no_bulk_listing"


# ------------------------------------------------------------------------------- request shapes


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QueryContent(_Strict):
    content: dict[str, str] = Field(description="Fields that identify the record (camelCase)")


class DataQuery(_Strict):
    """`{"query": {"content": {"personalId": "001090000103"}}}`"""

    query: QueryContent


class Answer(BaseModel):
    status: bool
    message: str


class ExistsAnswer(BaseModel):
    answer: Answer


class RecordRead(BaseModel):
    content: dict[str, Any]


class RecordPage(BaseModel):
    count: int = Field(description="Records on this page (the registry does not count every match)")
    next: str | None = Field(description="The next page, relative to this request's URL")
    previous: str | None
    results: list[dict[str, Any]]


class ReferenceV1(BaseModel):
    ReferenceID: str


class PersonalDataUsageV1(BaseModel):
    """One read of the person's data, in the v1.0 names (`Refrences` is the spec's spelling); the
    operation and the fields read are this registry's additions."""

    ID: str
    ReaderID: str
    ReaderInitials: str
    ReaderInstitutionID: str
    ReaderInstitutionName: str
    ReaderApplicationName: str
    SearchDateTime: datetime
    Refrences: list[ReferenceV1]
    Operation: str
    Fields: list[str]


class ReferenceV2(BaseModel):
    ReferenceId: str


class PersonalDataUsageV2(BaseModel):
    id: str
    readerId: str
    readerInitials: str
    readerInstitutionId: str
    readerInstitutionName: str
    readerApplicationName: str
    searchDateTime: datetime
    refrences: list[ReferenceV2]
    operation: str
    fields: list[str]


# ------------------------------------------------------------------------------------ callers


def _same_client(request: Request, caller: Accessor) -> Accessor:
    stated = request.headers.get(MEDIATOR_HEADER.lower())
    if stated is not None:
        named = str(parse_client(unquote(stated), field=MEDIATOR_HEADER))
        if named != caller.client:
            raise InvalidInput(
                f"{MEDIATOR_HEADER} names {named}, but the exchange delivered this call from {caller.client}",
                field=MEDIATOR_HEADER,
            )
    return caller


def _exchange_caller(request: Request, caller: api.ExchangeCaller) -> Accessor:
    return _same_client(request, caller)


def _personal_data_caller(request: Request, caller: api.PersonalDataCaller) -> Accessor:
    return _same_client(request, caller)


Caller = Annotated[Accessor, Depends(_exchange_caller)]
PersonalDataCaller = Annotated[Accessor, Depends(_personal_data_caller)]
RegistryName = Annotated[str, Path(max_length=60, description="population or enterprises")]
Version = Annotated[str, Path(max_length=20, description="The registry's schema version: 1.0")]
RecordId = Annotated[str, Path(max_length=20, description="Personal ID or enterprise code")]
ValueFile = Annotated[str, Path(max_length=80, description="{field}.{ext}: birthDate.json, nameVi.txt")]


def _check_registry(served: Registry, name: str, version: str) -> None:
    if name != served.name:
        other = REGISTRIES.get(name)
        where = f"is served by {other.service}" if other else "does not exist"
        raise RegistryNotFound(
            f"registry {name} {where}; this service serves {served.name}", field="registryName"
        )
    if version not in VERSIONS:
        raise RegistryNotFound(
            f"{served.name} has version {', '.join(VERSIONS)} only, not {version}", field="versionNumber"
        )


def _served(served: Registry) -> Any:
    def dependency(registry: RegistryName, version: Version) -> Registry:
        _check_registry(served, registry, version)
        return served

    return Depends(dependency)


PopulationRegistry = Annotated[Registry, _served(POPULATION)]
EnterpriseRegistry = Annotated[Registry, _served(ENTERPRISES)]


# ------------------------------------------------------------------------------------ helpers


def _no_record() -> JSONResponse:
    return JSONResponse({"detail": "no record found"}, status_code=404)


def _exists(status: bool) -> ExistsAnswer:
    return ExistsAnswer(answer=Answer(status=status, message=FOUND if status else NOT_FOUND))


def _query(body: DataQuery, registry: Registry, operation: str, keys: tuple[str, ...]) -> dict[str, str]:
    """The query's content, if it uses only `keys` and names the record; else a refusal naming the key."""
    content = body.query.content
    for key in content:
        if key not in keys:
            raise InvalidInput(
                f"{operation} on {registry.name} finds a record by {', '.join(keys)} only, not by {key}",
                field=f"query.content.{key}",
            )
    if not content.get(registry.key, "").strip():
        raise InvalidInput(f"name the record: {registry.key}", field=f"query.content.{registry.key}")
    return content


def _content(registry: Registry, record: dict[str, Any]) -> dict[str, Any]:
    """A native record (nested, snake_case) in the flat camelCase GovStack shape, same fields only."""
    content: dict[str, Any] = {registry.key: record[registry.native_key]}
    for key, (field, part) in registry.content.items():
        if field not in record:
            continue
        value = record[field]
        if part is not None:
            value = value.get(part) if isinstance(value, dict) else None
        content[key] = value
    return content


def _native_field(registry: Registry, field: str) -> str:
    if field not in registry.content:
        raise InvalidInput(
            f"{registry.name} has no field {field}; fields: {', '.join(registry.content)}", field="field"
        )
    return registry.content[field][0]


def _value_response(value: Any, ext: str) -> Response:
    """`json`: a string as a JSON string, anything else as {"value": …} (the spec's anyOf); `txt`: text."""
    if ext == "json":
        return JSONResponse(value if isinstance(value, str) else {"value": value})
    text = "" if value is None else value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return PlainTextResponse(text)


def _split_value_file(value_file: str) -> tuple[str, str]:
    field, dot, ext = value_file.rpartition(".")
    if not dot or ext not in ("json", "txt"):
        raise InvalidInput("ask for {field}.json or {field}.txt", field="ext")
    return field, ext


# ---------------------------------------------------------------------- population (congDan/v1)

POPULATION_DATA = "/population/govstack/data"  # under the congDan service's upstream


@router.post(
    f"{POPULATION_DATA}/{{registry}}/{{version}}/read", response_model=RecordRead, summary="GovStack: read"
)
def population_read(
    caller: PersonalDataCaller, registry: PopulationRegistry, body: DataQuery, session: WriteSession
) -> Any:
    """One person's record by `personalId`: only the fields granted to the caller (or consented to)."""
    content = _query(body, registry, "read", ("personalId",))
    pid = identifiers.parse_personal_id(content["personalId"], "query.content.personalId").value
    try:
        record = population.read(session, caller, pid, None)
    except population.CitizenNotFound:
        return _no_record()
    return RecordRead(content=_content(registry, record))


@router.post(
    f"{POPULATION_DATA}/{{registry}}/{{version}}/exists",
    response_model=ExistsAnswer,
    summary="GovStack: exists",
)
def population_exists(
    caller: PersonalDataCaller, registry: PopulationRegistry, body: DataQuery, session: WriteSession
) -> Any:
    """Whether the person with `personalId` has this name (familyName, middleName when they have one,
    givenName: compared as the whole name) and, if given, `birthDate`. Like the native verify, an
    unknown ID and a mismatch answer the same, so the ID alone is not enough."""
    keys = ("personalId", "familyName", "middleName", "givenName", "birthDate")
    content = _query(body, registry, "exists", keys)
    pid = identifiers.parse_personal_id(content["personalId"], "query.content.personalId").value
    for part in ("familyName", "givenName"):
        if not content.get(part, "").strip():
            raise InvalidInput(
                "exists confirms a person's details: give familyName and givenName (and middleName, "
                "birthDate); the registry does not say whether an ID alone exists",
                field=f"query.content.{part}",
            )
    parts = (content.get(p, "").strip() for p in ("familyName", "middleName", "givenName"))
    name = " ".join(p for p in parts if p)
    if len(name) > 200:
        raise InvalidInput("a name has at most 200 characters", field="query.content.familyName")
    born = content.get("birthDate", "").strip()
    if born:
        identifiers.parse_partial_date(born, "query.content.birthDate")
        query = schemas.VerifyCitizen(personal_id=pid, full_name=name, birth_date=born)
        return _exists(population.verify(session, caller, query))
    return _exists(population.verify_name(session, caller, pid, name))


@router.get(
    f"{POPULATION_DATA}/{{registry}}/{{version}}/{{record_id}}/readValue/{{value_file}}",
    summary="GovStack: one field of a person's record (v1: read-value)",
    responses={200: {"content": {"application/json": {}, "text/plain": {}}}},
)
@router.get(
    f"{POPULATION_DATA}/{{registry}}/{{version}}/{{record_id}}/read-value/{{value_file}}",
    include_in_schema=False,
)
def population_read_value(
    caller: PersonalDataCaller,
    registry: PopulationRegistry,
    record_id: RecordId,
    value_file: ValueFile,
    session: WriteSession,
) -> Response:
    field, ext = _split_value_file(value_file)
    native = _native_field(registry, field)
    pid = identifiers.parse_personal_id(record_id, "id").value
    try:
        record = population.read(session, caller, pid, [native])
    except population.CitizenNotFound:
        return _no_record()
    return _value_response(_content(registry, record).get(field), ext)


def _usage(
    session: Session, caller: Accessor, user_id: str, database_id: str, names: tuple[str, str]
) -> list[tuple[schemas.AccessEntry, str]]:
    """The person's reads in one registry, each with the reading agency's name."""
    pid = identifiers.parse_personal_id(user_id, names[0]).value
    if caller.official != pid:
        raise PermissionDenied(
            f"only the person themselves sees who read their data: X-Road-UserId must be the {names[0]}"
        )
    registry = REGISTRIES.get(database_id.strip().lower())
    if registry is None:
        raise InvalidInput(f"{names[1]} is one of {', '.join(REGISTRIES)}", field=names[1])
    agencies: dict[str, str] = {}
    entries: list[tuple[schemas.AccessEntry, str]] = []
    for entry in access.accesses_to(session, pid):
        # Reads of an enterprise's representative are logged under the person as "enterprise".
        if (entry.operation == "enterprise") != (registry is ENTERPRISES):
            continue
        if entry.agency_code and entry.agency_code not in agencies:
            item = catalogs.get_item(session, "agencies", entry.agency_code)
            agencies[entry.agency_code] = item.name_vi if item else ""
        entries.append((entry, agencies.get(entry.agency_code, "")))
    return entries


def _initials(name: str) -> str:
    """Initials of an official named in words (Nguyễn Văn Bình → NVB); none for a code (VN/CANBO/0123)."""
    words = name.split()
    return "".join(w[0].upper() for w in words) if len(words) > 1 and "/" not in name else ""


@router.get(
    f"{POPULATION_DATA}/mypersonalDataUsage",
    response_model=list[PersonalDataUsageV2],
    summary="GovStack: who read my data (for a portal acting for the signed-in person, X-Road-UserId)",
)
def my_personal_data_usage(
    caller: Caller,
    session: ReadSession,
    userId: Annotated[str, Query(max_length=20)],
    databaseId: Annotated[str, Query(max_length=40)],
) -> Any:
    return [
        PersonalDataUsageV2(
            id=e.message_id,
            readerId=e.official,
            readerInitials=_initials(e.official),
            readerInstitutionId=e.agency_code,
            readerInstitutionName=agency,
            readerApplicationName=e.client,
            searchDateTime=e.accessed_at,
            refrences=[ReferenceV2(ReferenceId=e.purpose)],
            operation=e.operation,
            fields=e.fields,
        )
        for e, agency in _usage(session, caller, userId, databaseId, ("userId", "databaseId"))
    ]


@router.get(
    f"{POPULATION_DATA}/MyPersonalDataUsage/{{version}}",
    response_model=list[PersonalDataUsageV1],
    summary="GovStack v1.0: who read my data",
)
def my_personal_data_usage_v1(
    caller: Caller,
    session: ReadSession,
    version: Version,
    userID: Annotated[str, Query(max_length=20)],
    DatabaseID: Annotated[str, Query(max_length=40)],
) -> Any:
    if version not in VERSIONS:
        raise RegistryNotFound(f"MyPersonalDataUsage has version {', '.join(VERSIONS)}", field="version")
    return [
        PersonalDataUsageV1(
            ID=e.message_id,
            ReaderID=e.official,
            ReaderInitials=_initials(e.official),
            ReaderInstitutionID=e.agency_code,
            ReaderInstitutionName=agency,
            ReaderApplicationName=e.client,
            SearchDateTime=e.accessed_at,
            Refrences=[ReferenceV1(ReferenceID=e.purpose)],
            Operation=e.operation,
            Fields=e.fields,
        )
        for e, agency in _usage(session, caller, userID, DatabaseID, ("userID", "DatabaseID"))
    ]


@router.get(
    f"{POPULATION_DATA}/{{registry}}/{{version}}",
    response_model=RecordPage,
    summary="GovStack: list (refused)",
)
def population_list(caller: Caller, registry: PopulationRegistry) -> Any:
    """Refused: the population registry is not listed or searched through the exchange."""
    raise NoBulkListing(
        "the population registry is not listed or searched through the exchange (Decree 13/2023: only "
        'the data a purpose needs); read one person: POST …/read {"query": {"content": {"personalId": …}}}'
    )


# ------------------------------------------------------------------ enterprises (doanhNghiep/v1)

ENTERPRISE_DATA = "/enterprise/govstack/data"  # under the doanhNghiep service's upstream


@router.post(
    f"{ENTERPRISE_DATA}/{{registry}}/{{version}}/read", response_model=RecordRead, summary="GovStack: read"
)
def enterprise_read(
    caller: Caller, registry: EnterpriseRegistry, body: DataQuery, session: WriteSession
) -> Any:
    """An enterprise by `code`: the public fields, and the representative only under a grant."""
    content = _query(body, registry, "read", ("code",))
    code = identifiers.parse_enterprise_code(content["code"], "query.content.code")
    try:
        record = enterprises.look_up(session, caller, code, None)
    except enterprises.EnterpriseNotFound:
        return _no_record()
    return RecordRead(content=_content(registry, record))


@router.post(
    f"{ENTERPRISE_DATA}/{{registry}}/{{version}}/exists",
    response_model=ExistsAnswer,
    summary="GovStack: exists",
)
def enterprise_exists(
    caller: Caller, registry: EnterpriseRegistry, body: DataQuery, session: ReadSession
) -> Any:
    content = _query(body, registry, "exists", ("code",))
    code = identifiers.parse_enterprise_code(content["code"], "query.content.code")
    try:
        enterprises.look_up(session, caller, code, ["status"])
    except enterprises.EnterpriseNotFound:
        return _exists(False)
    return _exists(True)


@router.get(
    f"{ENTERPRISE_DATA}/{{registry}}/{{version}}/{{record_id}}/readValue/{{value_file}}",
    summary="GovStack: one field of an enterprise's record (v1: read-value)",
    responses={200: {"content": {"application/json": {}, "text/plain": {}}}},
)
@router.get(
    f"{ENTERPRISE_DATA}/{{registry}}/{{version}}/{{record_id}}/read-value/{{value_file}}",
    include_in_schema=False,
)
def enterprise_read_value(
    caller: Caller,
    registry: EnterpriseRegistry,
    record_id: RecordId,
    value_file: ValueFile,
    session: WriteSession,
) -> Response:
    field, ext = _split_value_file(value_file)
    native = _native_field(registry, field)
    code = identifiers.parse_enterprise_code(record_id, "id")
    try:
        record = enterprises.look_up(session, caller, code, [native])
    except enterprises.EnterpriseNotFound:
        return _no_record()
    return _value_response(_content(registry, record).get(field), ext)


LIST_PARAMETERS = ("search", "page", "page_size", "pageSize", "ordering", "query.code", "query.status")


@router.get(
    f"{ENTERPRISE_DATA}/{{registry}}/{{version}}",
    response_model=RecordPage,
    summary="GovStack: list (name search)",
)
def enterprise_list(
    request: Request,
    caller: Caller,
    registry: EnterpriseRegistry,
    session: ReadSession,
    search: Annotated[str | None, Query(max_length=200, description="Words of the name")] = None,
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    page_size: Annotated[int | None, Query(ge=1, le=100)] = None,
    pageSize: Annotated[int | None, Query(ge=1, le=100)] = None,
    ordering: Annotated[str | None, Query(description="ascending (by name) only")] = None,
    code: Annotated[str | None, Query(alias="query.code", max_length=20)] = None,
    status: Annotated[str | None, Query(alias="query.status", max_length=12)] = None,
) -> Any:
    """Enterprises whose name contains the words of `search` (case and diacritics ignored), or the one
    with `query.code`; public fields only, in name order."""
    for name in request.query_params:
        if name not in LIST_PARAMETERS:
            raise InvalidInput(
                f"{name} is not supported here; parameters: {', '.join(LIST_PARAMETERS)}", field=name
            )
    if ordering not in (None, "ascending"):
        raise InvalidInput("results come in name order: ordering=ascending only", field="ordering")
    if page_size is not None and pageSize is not None and page_size != pageSize:
        raise InvalidInput("page_size (v1) and pageSize (v2) disagree", field="pageSize")
    size = pageSize or page_size or 10
    if code is not None:
        if search is not None or status is not None:
            raise InvalidInput(
                "query.code finds one enterprise: no search or query.status with it", field="query.code"
            )
        compact = identifiers.parse_enterprise_code(code, "query.code")
        try:
            found = [enterprises.look_up(session, caller, compact, list(SEARCH_FIELDS))]
        except enterprises.EnterpriseNotFound:
            found = []
        results = found if page == 1 else []
        return RecordPage(
            count=len(results), next=None, previous=None, results=[_content(registry, r) for r in results]
        )
    if not search or not search.strip():
        raise InvalidInput("search by name (at least three letters), or ask for query.code", field="search")
    try:
        found_page = enterprises.search(session, search, status=status, limit=size, offset=(page - 1) * size)
    except InvalidInput as exc:
        field = {"q": "search", "status": "query.status"}.get(exc.field, exc.field)
        raise InvalidInput(exc.message, field=field) from None
    results = [_content(registry, r) for r in found_page["items"]]
    return RecordPage(
        count=len(results),
        next=_page_link(request, page + 1) if found_page["more"] else None,
        previous=_page_link(request, page - 1) if page > 1 else None,
        results=results,
    )


def _page_link(request: Request, page: int) -> str:
    """A relative reference (RFC 3986 §4.2): the same path with another page, wherever the caller's
    gateway put it."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    return "?" + urlencode([*params, ("page", str(page))])


# ------------------------------------------------------------------------------- writes: refused

WRITES = (
    ("POST", "/{registry}/{version}/create"),
    ("PUT", "/{registry}/{version}/update"),
    ("PUT", "/{registry}/{version}/updateEntries"),
    ("PUT", "/{registry}/{version}/update-entries"),
    ("POST", "/{registry}/{version}/updateOrCreate"),
    ("POST", "/{registry}/{version}/update-or-create"),
    ("POST", "/{registry}/{version}/createEntries"),
    ("POST", "/{registry}/{version}/create-entries"),
    ("POST", "/{registry}/createEntries"),
    ("DELETE", "/{registry}/{version}/{record_id}/delete"),
)


def _refuse_writes(served: Registry) -> Callable[..., Any]:
    def refuse(request: Request, caller: Caller) -> Any:
        params = request.path_params
        _check_registry(served, params["registry"], params.get("version", VERSIONS[-1]))
        raise WrittenByOfficials(
            f"the {served.name} registry is read-only on the exchange: it is written only by "
            f"{served.written_by}, each change with its reason"
        )

    return refuse


for _prefix, _registry in ((POPULATION_DATA, POPULATION), (ENTERPRISE_DATA, ENTERPRISES)):
    for _method, _path in WRITES:
        router.add_api_route(
            f"{_prefix}{_path}",
            _refuse_writes(_registry),
            methods=[_method],
            summary=f"GovStack: {_path.rsplit('/', 1)[-1]} (refused: written by the registry's officials)",
            responses={403: {"description": "Refused: written by the keeping agency's officials"}},
        )
