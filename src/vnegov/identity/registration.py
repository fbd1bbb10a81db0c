"""Citizens register and see who read their data, through the data exchange (đăng ký tài khoản công dân).

The identity provider is the Ministry of Public Security's system `VN/GOV/G01/VNEID`. It checks a
registering citizen's personal ID, name and date of birth with the population registry's verify service,
and shows a signed-in citizen who read their data (the registry's access log), both through the exchange
like any other agency's system: authenticated, checked against access rights, logged.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from vnegov.exchange.client import ClientNotConfigured, for_component
from vnegov.identity import accounts
from vnegov.identity.accounts import SignedIn
from vnegov.kernel.context import Principal
from vnegov.kernel.errors import InvalidInput, UpstreamUnavailable
from vnegov.kernel.text import nfc

SUBSYSTEM = "VN/GOV/G01/VNEID"
POPULATION = "VN/GOV/G01/DANCU/congDan/v1"
ENTERPRISES = "VN/GOV/G12/DKDN/doanhNghiep/v1"
PURPOSE = "VNEID-DANG-KY-TAI-KHOAN"  # X-Road-Issue: account registration


class RegistryMismatch(InvalidInput):
    code = "registry_mismatch"


def _why(response: Any) -> str:
    """The gateway's X-Road error type, or the status: what to tell a person about a failed call."""
    return str(response.headers.get("x-road-error") or response.status_code)


def _client(app: FastAPI) -> Any:
    try:
        return for_component(app, SUBSYSTEM)
    except ClientNotConfigured as exc:
        raise UpstreamUnavailable(
            f"the identity provider is not connected to the data exchange: {exc}"
        ) from None


async def verify_with_registry(app: FastAPI, personal_id: str, full_name: str, birth_date: str) -> bool:
    """Whether the population registry knows this person with this name and date of birth."""
    response = await _client(app).call(
        "POST",
        POPULATION,
        "/verify",
        json={"personal_id": personal_id, "full_name": full_name, "birth_date": birth_date},
        issue=PURPOSE,
        user_id=personal_id,
    )
    if response.status_code == 422:  # the registry names the wrong field (a malformed ID, a bad date)
        problem = response.json()
        raise InvalidInput(problem.get("detail", "invalid data"), field=problem.get("field", "personal_id"))
    if response.status_code != 200 or response.headers.get("x-road-error"):
        raise UpstreamUnavailable(
            f"the population registry cannot be asked now ({_why(response)}); try later"
        )
    return bool(response.json().get("match"))


async def register_citizen(app: FastAPI, values: dict[str, str], password: str) -> SignedIn:
    """A citizen's account, once the registry confirms them; signed in at level 1. Nothing is made when
    the registry does not confirm them (or cannot be asked)."""
    personal_id = values.get("personal_id", "").strip()
    full_name = nfc(" ".join(values.get("full_name", "").split()))
    birth_date = values.get("birth_date", "").strip()
    if not full_name:
        raise InvalidInput("your full name, as on your ID card", field="full_name")
    if not await verify_with_registry(app, personal_id, full_name, birth_date):
        raise RegistryMismatch(
            "the population registry does not confirm this personal ID with this name and date of birth",
            field="personal_id",
        )
    return await run_in_threadpool(_create_citizen, app, personal_id, full_name, birth_date, password)


def _create_citizen(
    app: FastAPI, personal_id: str, full_name: str, birth_date: str, password: str
) -> SignedIn:
    """Blocking (argon2, database): run off the event loop."""
    settings = app.state.settings
    with app.state.db.transaction() as session:
        account = accounts.create_account(
            session,
            actor=Principal(subject=f"identity:register:{personal_id}", agency_code=""),
            kind="citizen",
            username=personal_id,
            full_name=full_name,
            password=password,
            personal_id=personal_id,
            birth_date=birth_date,
        )
        return accounts.start_session(
            session, settings.identity, account, acr=accounts.LOA_PASSWORD, amr=["pwd"]
        )


async def who_read_my_data(app: FastAPI, personal_id: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """The registry's record of reads of this citizen's data (newest first), or an explanation."""
    if personal_id is None:
        return [], None
    try:
        response = await _client(app).call(
            "GET", POPULATION, f"/citizens/{personal_id}/accesses", user_id=personal_id
        )
    except UpstreamUnavailable as exc:
        return [], exc.message
    if response.status_code != 200:
        return (
            [],
            f"the population registry did not answer ({_why(response)})",
        )
    reads: list[dict[str, Any]] = response.json()
    return reads, None


class NotRepresentative(InvalidInput):
    code = "not_representative"


async def represent_enterprise(app: FastAPI, subject: str, enterprise_code: str) -> str:
    """Bind a citizen's account to an enterprise they legally represent, as the enterprise registry
    says (read through the exchange); the enterprise's code as the registry writes it."""
    with app.state.db.read() as session:
        account = accounts.by_subject(session, subject)
        personal_id, kind = account.personal_id, account.kind
    if personal_id is None or kind not in ("citizen", "business"):
        raise InvalidInput("only a citizen's account can act for an enterprise", field="enterprise_code")
    response = await _client(app).call(
        "GET",
        ENTERPRISES,
        f"/enterprises/{enterprise_code.strip()}",
        params={"fields": "names,representative,status"},
        issue="VNEID-DAI-DIEN-DOANH-NGHIEP",
        user_id=personal_id,
    )
    if response.status_code in (404, 422):
        problem = response.json()
        raise InvalidInput(problem.get("detail", "no such enterprise"), field="enterprise_code")
    if response.status_code != 200:
        raise UpstreamUnavailable(
            f"the enterprise registry cannot be asked now ({_why(response)}); try later"
        )
    record = response.json()
    if record.get("representative", {}).get("personal_id") != personal_id:
        raise NotRepresentative(
            "the enterprise registry does not name you as this enterprise's legal representative",
            field="enterprise_code",
        )
    if record.get("status", {}).get("status") != "active":
        raise InvalidInput("the enterprise is not active in the registry", field="enterprise_code")
    code = str(record["code"]).replace("-", "")
    with app.state.db.transaction() as session:
        accounts.bind_enterprise(session, subject, code)
    return code
