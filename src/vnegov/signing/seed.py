"""First start of the electronic transaction system: the CA hierarchy, OCSP responders and TSA."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from vnegov.kernel.context import Principal
from vnegov.kernel.settings import Settings, get_settings
from vnegov.signing import service
from vnegov.signing.context import SigningContext


def seed(
    session: Session,
    actor: Principal,
    progress: Callable[[int], None] | None = None,
    settings: Settings | None = None,
) -> dict[str, bool]:
    created = service.ensure_pki(
        session, SigningContext.from_settings(settings or get_settings()), actor=actor
    )
    return {"pki_created": created}
