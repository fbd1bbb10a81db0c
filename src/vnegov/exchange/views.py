"""Pages of the data exchange: the public directory, and the message log for signed-in agencies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from vnegov.exchange import federation, logstore, service
from vnegov.exchange.schemas import LogPage
from vnegov.kernel.clock import VN_TZ
from vnegov.kernel.errors import InvalidInput
from vnegov.kernel.http import ReadSession
from vnegov.kernel.web_auth import PagePrincipal
from vnegov.web.pages import pages_of

router = APIRouter(include_in_schema=False)


@router.get("/exchange")
def directory_page(request: Request, session: ReadSession) -> Response:
    """Who is on the exchange and what they provide (public, as X-Road's metadata services are)."""
    members = service.list_members(session)
    services = service.list_services(session)
    gateways = federation.list_gateways(session)
    gateway_id = request.app.state.gateway.gateway_id if hasattr(request.app.state, "gateway") else ""
    return pages_of(request).render(
        request,
        "exchange/directory.html",
        members=members,
        services=services,
        gateways=gateways,
        gateway_id=gateway_id,
    )


def _moment(value: str | None, field: str) -> datetime | None:
    """A `datetime-local` form value, read as Vietnam time."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"{field}: {value!r} is not a date and time (2026-12-07T08:30)", field=field
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=VN_TZ)


@router.get("/exchange/log")
def log_page(
    request: Request,
    actor: PagePrincipal,
    message_id: Annotated[str | None, Query(max_length=200)] = None,
    client: Annotated[str | None, Query(max_length=1100)] = None,
    service_id: Annotated[str | None, Query(alias="service", max_length=1400)] = None,
    since: Annotated[str | None, Query(max_length=40)] = None,
    until: Annotated[str | None, Query(max_length=40)] = None,
    before: Annotated[int | None, Query(ge=1)] = None,
    gateway: Annotated[str | None, Query(max_length=1100)] = None,
) -> Response:
    """The calls your agency made or answered, in this gateway's log or an embedded tier's."""
    main = request.app.state.gateway
    gateways = {main.gateway_id: main, **getattr(request.app.state, "embedded_gateways", {})}
    chosen = gateways.get(gateway or main.gateway_id, main)
    error: InvalidInput | None = None
    page = LogPage(items=[], next_before=None)
    try:
        moments = _moment(since, "since"), _moment(until, "until")
        with chosen.db.transaction() as session:  # revealing a user id writes its audit row
            page = logstore.search(
                session,
                actor=actor,
                message_id=message_id or None,
                client=client or None,
                service=service_id or None,
                since=moments[0],
                until=moments[1],
                before=before,
                limit=50,
            )
    except InvalidInput as exc:
        error = exc
    return pages_of(request).render(
        request,
        "exchange/log.html",
        status_code=422 if error else 200,
        error=error,
        actor=actor,
        page=page,
        vn_tz=VN_TZ,
        gateways=list(gateways),
        gateway=chosen.gateway_id,
        filters={
            "message_id": message_id or "",
            "client": client or "",
            "service": service_id or "",
            "since": since or "",
            "until": until or "",
        },
    )
