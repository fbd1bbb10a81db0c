"""Officials of agencies and their roles: who may administer whom (the API and the provider's pages),
every role change and unlock an audit row and a security event, and the OIDC client administration."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import Caller, _caller
from tests.identity.conftest import Idp, csrf_of
from vnegov.kernel.models import AuditLogEntry, OutboxMessage

PASSWORD = "một câu mật khẩu đủ dài"
OFFICIALS = "/api/v1/identity/agencies/{}/officials"


@pytest.fixture(scope="module")
def platform_admin(idp: Idp) -> Caller:
    return _caller(idp.db, "G22", "platform admin", ("platform-admin",))


@pytest.fixture(scope="module")
def hanoi_admin_key(idp: Idp) -> Caller:
    """A system of Hà Nội's officials administration (API key, agency-admin in H24)."""
    return _caller(idp.db, "H24", "Hanoi officials administration", ("agency-admin",))


def _create(idp: Idp, caller: Caller, agency: str, username: str, roles: list[str], **extra: str) -> Any:
    body = {"username": username, "full_name": f"Cán bộ {username}", "initial_password": PASSWORD}
    return idp.client.post(
        OFFICIALS.format(agency), headers=caller.headers, json={**body, "roles": roles, **extra}
    )


@pytest.fixture(scope="module")
def binh(idp: Idp, platform_admin: Caller) -> dict[str, Any]:
    """Trần Thị Bình, administrator of Hà Nội's officials, made by the platform administrator."""
    r = _create(idp, platform_admin, "H24", "binh.admin", ["agency-admin"], full_name="Trần Thị Bình")
    assert r.status_code == 201, r.text
    assert r.json()["roles"] == ["agency-admin"] and r.json()["agency_code"] == "H24"
    return dict(r.json())


def _security_topics(idp: Idp) -> list[str]:
    with idp.db.read() as session:
        return list(
            session.scalars(
                sa.select(OutboxMessage.topic).where(OutboxMessage.topic.like("security.identity.%"))
            )
        )


def _audited(idp: Idp, action: str, subject: str) -> int:
    with idp.db.read() as session:
        rows = session.scalars(sa.select(AuditLogEntry.after).where(AuditLogEntry.action == action))
        return sum(1 for after in rows if (after or {}).get("account") == subject)


# ------------------------------------------------------------------------------------------ API


def test_an_agency_administrator_manages_the_officials_of_their_agency_only(
    idp: Idp, binh: dict[str, Any], hanoi_admin_key: Caller
) -> None:
    r = _create(idp, hanoi_admin_key, "H24", "an.tiepnhan", ["reception"])
    assert r.status_code == 201, r.text
    an = r.json()
    assert (an["roles"], an["locked"], an["second_factor"]) == (["reception"], False, False)
    assert "password" not in r.text

    assert _create(idp, hanoi_admin_key, "H29", "ngoai.tinh", []).status_code == 403
    assert idp.client.get(OFFICIALS.format("H29"), headers=hanoi_admin_key.headers).status_code == 403
    listed = idp.client.get(OFFICIALS.format("H24"), headers=hanoi_admin_key.headers).json()
    assert {o["username"] for o in listed} >= {"binh.admin", "an.tiepnhan"}

    roles = f"{OFFICIALS.format('H24')}/{an['subject']}/roles"
    r = idp.client.put(roles, headers=hanoi_admin_key.headers, json={"roles": ["processing", "approval"]})
    assert r.status_code == 200, r.text
    assert r.json()["roles"] == ["approval", "processing"]  # replaced: reception taken away
    assert _audited(idp, "identity.role.grant", an["subject"]) == 3
    assert _audited(idp, "identity.role.revoke", an["subject"]) == 1
    topics = _security_topics(idp)
    assert "security.identity.role.grant" in topics and "security.identity.role.revoke" in topics

    r = idp.client.put(roles, headers=hanoi_admin_key.headers, json={"roles": ["chief"]})
    assert (r.status_code, r.json()["field"]) == (422, "roles")
    # Not through another agency's address, and not for another agency's administrator.
    elsewhere = f"{OFFICIALS.format('H29')}/{an['subject']}/roles"
    assert idp.client.put(elsewhere, headers=hanoi_admin_key.headers, json={"roles": []}).status_code == 403
    hcm = _caller(idp.db, "H29", "HCMC officials administration", ("agency-admin",))
    assert idp.client.put(roles, headers=hcm.headers, json={"roles": []}).status_code == 403
    unknown = f"{OFFICIALS.format('H24')}/no-such-subject/roles"
    assert idp.client.put(unknown, headers=hanoi_admin_key.headers, json={"roles": []}).status_code == 404
    # An API key of the agency without the role administers nothing.
    clerk = _caller(idp.db, "H24", "Hanoi one-stop shop", ("reception",))
    assert _create(idp, clerk, "H24", "khong.duoc", []).status_code == 403


def test_only_a_platform_administrator_gives_or_takes_platform_admin(
    idp: Idp, binh: dict[str, Any], platform_admin: Caller, hanoi_admin_key: Caller
) -> None:
    r = _create(idp, hanoi_admin_key, "H24", "cuong.vanhanh", ["platform-admin"])
    assert r.status_code == 403
    r = _create(idp, platform_admin, "H24", "cuong.vanhanh", ["platform-admin"])
    assert r.status_code == 201, r.text
    roles = f"{OFFICIALS.format('H24')}/{r.json()['subject']}/roles"
    # The agency administrator changes the agency roles; platform-admin stays as it is.
    r = idp.client.put(roles, headers=hanoi_admin_key.headers, json={"roles": ["reception"]})
    assert r.json()["roles"] == ["platform-admin", "reception"]
    r = idp.client.put(roles, headers=platform_admin.headers, json={"roles": ["reception"]})
    assert r.json()["roles"] == ["reception"]
    r = idp.client.put(roles, headers=hanoi_admin_key.headers, json={"roles": ["platform-admin"]})
    assert r.status_code == 403


def test_the_agency_must_exist_and_the_initial_password_be_strong(
    idp: Idp, platform_admin: Caller, hanoi_admin_key: Caller
) -> None:
    r = _create(idp, platform_admin, "X99", "khong.coquan", [])
    assert (r.status_code, r.json()["field"]) == (422, "agency_code")
    r = _create(idp, hanoi_admin_key, "H24", "yeu.matkhau", [], initial_password="matkhau123")
    assert (r.status_code, r.json()["field"]) == (422, "initial_password")
    r = _create(idp, hanoi_admin_key, "H24", "001090000999", [])  # a citizen's ID is not a username
    assert (r.status_code, r.json()["field"]) == (422, "username")
    assert _create(idp, hanoi_admin_key, "H24", "trung.ten", []).status_code == 201
    assert _create(idp, hanoi_admin_key, "H24", "trung.ten", []).status_code == 409


def test_a_locked_official_is_unlocked_by_their_administrator(idp: Idp, hanoi_admin_key: Caller) -> None:
    r = _create(idp, hanoi_admin_key, "H24", "dung.khoa", [])
    subject = r.json()["subject"]
    for _ in range(5):
        assert idp.sign_in("dung.khoa", "sai mật khẩu rồi").status_code == 401
    listed = idp.client.get(OFFICIALS.format("H24"), headers=hanoi_admin_key.headers).json()
    assert next(o for o in listed if o["subject"] == subject)["locked"] is True
    r = idp.client.post(f"{OFFICIALS.format('H24')}/{subject}/unlock", headers=hanoi_admin_key.headers)
    assert (r.status_code, r.json()["locked"]) == (200, False)
    assert "security.identity.account.unlock" in _security_topics(idp)
    assert idp.sign_in("dung.khoa", PASSWORD).status_code == 303


def test_platform_administrators_list_the_clients_without_secrets(
    idp: Idp, platform_admin: Caller, hanoi_admin_key: Caller
) -> None:
    r = idp.client.get("/api/v1/identity/clients", headers=platform_admin.headers)
    assert r.status_code == 200
    assert idp.rp_id in {c["client_id"] for c in r.json()}
    assert idp.rp_secret not in r.text
    assert not any("secret" in key for c in r.json() for key in c)
    assert idp.client.get("/api/v1/identity/clients", headers=hanoi_admin_key.headers).status_code == 403


# ---------------------------------------------------------------------------------------- pages


def _roles_form(page: str, subject: str, roles: list[str]) -> dict[str, str]:
    return {
        "csrf": csrf_of(page),
        "subject": subject,
        **{f"role:{role}": "1" for role in roles},
    }


def test_an_agency_administrator_administers_officials_on_their_page(
    idp: Idp, binh: dict[str, Any], hanoi_admin_key: Caller
) -> None:
    officer = _create(idp, hanoi_admin_key, "H24", "em.xuly", ["processing"]).json()
    assert idp.sign_in("binh.admin", PASSWORD, "/identity/agency").headers["location"] == "/identity/agency"
    page = idp.client.get("/identity/agency")
    assert page.status_code == 200
    assert "em.xuly" in page.text and "Cán bộ xử lý" in page.text  # Vietnamese first
    assert "role:platform-admin" not in page.text  # not hers to give

    r = idp.client.post(
        "/identity/agency/roles",
        data=_roles_form(page.text, officer["subject"], ["reception", "approval"]),
        follow_redirects=False,
    )
    assert r.status_code == 303 and "notice=roles" in r.headers["location"]
    listed = idp.client.get(OFFICIALS.format("H24"), headers=hanoi_admin_key.headers).json()
    assert next(o for o in listed if o["subject"] == officer["subject"])["roles"] == ["approval", "reception"]
    assert "Đã lưu vai trò" in idp.client.get(r.headers["location"]).text

    # Not her own agency-admin role, not platform-admin, and not without the form's token.
    r = idp.client.post("/identity/agency/roles", data=_roles_form(page.text, binh["subject"], ["reception"]))
    assert r.status_code == 422 and 'id="form-error"' in r.text
    r = idp.client.post(
        "/identity/agency/roles", data=_roles_form(page.text, officer["subject"], ["platform-admin"])
    )
    assert r.status_code == 403
    r = idp.client.post("/identity/agency/roles", data={"subject": officer["subject"], "role:approval": "1"})
    assert r.status_code == 403

    form = {"csrf": csrf_of(page.text), "username": "giang.moi", "full_name": "Lê Văn Giang"}
    r = idp.client.post("/identity/agency/officials", data={**form, "initial_password": "matkhau123"})
    assert r.status_code == 422 and "Lê Văn Giang" in r.text  # the form keeps what was typed
    r = idp.client.post(
        "/identity/agency/officials",
        data={**form, "initial_password": PASSWORD, "role:reception": "1"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "giang.moi" in idp.client.get("/identity/agency").text

    # Another agency's page is not hers.
    assert idp.client.get("/identity/agency", params={"agency": "H29"}).status_code == 403

    # A plain official is refused the page and its forms.
    assert idp.sign_in("em.xuly", PASSWORD, "/identity/agency").status_code == 303
    assert idp.client.get("/identity/agency").status_code == 403
    page = idp.client.get("/identity/login")
    r = idp.client.post(
        "/identity/agency/roles", data=_roles_form(page.text, officer["subject"], ["agency-admin"])
    )
    assert r.status_code == 403


def test_the_clients_page_registers_a_client_and_shows_its_secret_once(
    idp: Idp, binh: dict[str, Any], platform_admin: Caller
) -> None:
    assert _create(idp, platform_admin, "G22", "hoa.vanhanh", ["platform-admin"]).status_code == 201
    assert idp.sign_in("binh.admin", PASSWORD).status_code == 303
    assert idp.client.get("/identity/clients").status_code == 403  # an agency administrator only

    assert idp.sign_in("hoa.vanhanh", PASSWORD, "/identity/clients").status_code == 303
    page = idp.client.get("/identity/clients")
    assert page.status_code == 200 and idp.rp_id in page.text
    form = {
        "csrf": csrf_of(page.text),
        "name": "Cổng dịch vụ công tỉnh",
        "redirect_uris": "https://dvc.example.vn/callback\nhttps://dvc.example.vn/callback2\n",
        "auth_method": "client_secret_basic",
    }
    r = idp.client.post("/identity/clients", data=form)
    assert r.status_code == 201, r.text
    secret = r.text.split('id="client-secret">')[1].split("<")[0]
    client_id = r.text.split('id="client-id">')[1].split("<")[0]
    again = idp.client.get("/identity/clients").text
    assert client_id in again and secret not in again

    r = idp.client.post("/identity/clients", data={**form, "auth_method": "private_key_jwt", "jwks": "{"})
    assert r.status_code == 422 and "jwks" in r.text
    r = idp.client.post("/identity/clients", data={**form, "redirect_uris": "http://dvc.example.vn/cb"})
    assert r.status_code == 422
