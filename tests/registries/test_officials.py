"""Registry officials: register and correct records (audited, with reasons and history), grants,
consents, change notifications; other agencies may not write."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from tests.exchange.conftest import GatewayEnv
from tests.registries.conftest import HANOI, POPULATION
from vnegov.kernel.models import AuditLogEntry

ADMIN = "/api/v1/registries/admin"
PURPOSE = {"X-Road-Issue": "officials-test"}


def _person(pid: str, **extra: Any) -> dict[str, Any]:
    return {
        "personal_id": pid,
        "family_name": "Lê",
        "middle_name": "Thị",
        "given_name": "Hoa",
        "birth_date": "2001-02-03",
        "sex": "2",
        "permanent_commune": "00004",
        **extra,
    }


def test_register_checks_every_field_against_its_rule(reg: GatewayEnv, mps_official) -> None:  # type: ignore[no-untyped-def]
    cases = [
        (_person("001301000201", sex="1"), "personal_id", "sex"),
        (_person("001399000201"), "personal_id", "birth_year"),
        (_person("001301000201", ethnicity="99"), "ethnicity", None),
        (_person("001301000201", permanent_commune="99999"), "permanent_commune", None),
        (_person("001301000201", father_personal_id="001060999999"), "father_personal_id", None),
        (_person("001301000201", birth_date="2999-01-01"), "birth_date", "future"),
    ]
    for body, field, reason in cases:
        r = reg.client.post(f"{ADMIN}/citizens", json=body, headers=mps_official.headers)
        assert r.status_code == 422, (field, r.text)
        assert r.json()["field"] == field
        if reason:
            assert r.json()["reason"] == reason
    r = reg.client.get(f"{ADMIN}/citizens/001301000201", headers=mps_official.headers)
    assert r.status_code == 404  # nothing was written by the rejected requests


def test_only_the_registry_agency_writes(reg: GatewayEnv, mof_official) -> None:  # type: ignore[no-untyped-def]
    r = reg.client.post(f"{ADMIN}/citizens", json=_person("001301000202"), headers=mof_official.headers)
    assert r.status_code == 403
    r = reg.client.post(f"{ADMIN}/citizens", json=_person("001301000202"))
    assert r.status_code == 401


def test_correction_keeps_history_audit_and_notifies_a_move(reg: GatewayEnv, mps_official) -> None:  # type: ignore[no-untyped-def]
    pid = "001301000203"
    r = reg.client.post(f"{ADMIN}/citizens", json=_person(pid), headers=mps_official.headers)
    assert r.status_code == 201, r.text
    r = reg.client.get(f"{POPULATION}/notifications", headers=reg.headers(HANOI))
    since = r.json()["next_since"]

    r = reg.client.patch(f"{ADMIN}/citizens/{pid}", json={"reason": "abc", "changes": {"given_name": "Huệ"}},
                         headers=mps_official.headers)  # fmt: skip
    assert (r.status_code, r.json()["field"]) == (422, "reason")
    body = {"reason": "Chuyển hộ khẩu theo đơn ngày 01/12/2026", "changes": {"permanent_commune": "00008"}}
    r = reg.client.patch(f"{ADMIN}/citizens/{pid}", json=body, headers=mps_official.headers)
    assert r.status_code == 200, r.text
    assert r.json()["permanent_residence"]["commune"] == "00008"

    history = reg.client.get(f"{ADMIN}/citizens/{pid}/history", headers=mps_official.headers).json()
    assert [h["kind"] for h in history] == ["registered", "moved"]
    assert history[1]["before"] == {"permanent_commune": "00004"}
    assert history[1]["reason"] == body["reason"]
    with reg.db.read() as session:
        actions = session.scalars(sa.select(AuditLogEntry.action).where(AuditLogEntry.object_id == pid)).all()
    assert "registries.population.moved" in actions

    r = reg.client.get(f"{POPULATION}/notifications", params={"since": since}, headers=reg.headers(HANOI))
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [(i["topic"], i["key"]) for i in items] == [("population.moved", pid)]


def test_a_death_needs_its_date_and_is_announced(reg: GatewayEnv, mps_official) -> None:  # type: ignore[no-untyped-def]
    pid = "001301000204"
    reg.client.post(f"{ADMIN}/citizens", json=_person(pid), headers=mps_official.headers)
    r = reg.client.patch(f"{ADMIN}/citizens/{pid}", json={"reason": "Trích lục khai tử số 12", "changes": {
        "status": "deceased"}}, headers=mps_official.headers)  # fmt: skip
    assert (r.status_code, r.json()["field"]) == (422, "changes.death_date")
    r = reg.client.patch(f"{ADMIN}/citizens/{pid}", json={"reason": "Trích lục khai tử số 12", "changes": {
        "status": "deceased", "death_date": "2026-11-30"}}, headers=mps_official.headers)  # fmt: skip
    assert r.status_code == 200, r.text
    feed = reg.client.get(f"{POPULATION}/notifications", headers=reg.headers(HANOI)).json()["items"]
    topics = [i["topic"] for i in feed if i["key"] == pid]
    assert topics == ["population.died"]


def test_a_consent_widens_what_one_system_reads_about_one_person(reg: GatewayEnv, mps_official) -> None:  # type: ignore[no-untyped-def]
    pid = "001301000205"
    reg.client.post(f"{ADMIN}/citizens", json=_person(pid, religion="01"), headers=mps_official.headers)
    url = f"{POPULATION}/citizens/{pid}?fields=religion"
    assert reg.client.get(url, headers=reg.headers(HANOI, **PURPOSE)).status_code == 403
    consent = {"personal_id": pid, "recipient": HANOI, "purpose": "hỗ trợ tín đồ", "fields": ["religion"],
               "valid_until": (date.today() + timedelta(days=30)).isoformat()}  # fmt: skip
    r = reg.client.post(f"{ADMIN}/consents", json=consent, headers=mps_official.headers)
    assert r.status_code == 201, r.text
    r = reg.client.get(url, headers=reg.headers(HANOI, **PURPOSE))
    assert (r.status_code, r.json()["religion"]) == (200, "01")
    other = f"{POPULATION}/citizens/001090000103?fields=religion"  # the consent is for this person only
    assert reg.client.get(other, headers=reg.headers(HANOI, **PURPOSE)).status_code == 403
    consent_id = reg.client.post(f"{ADMIN}/consents", json=consent, headers=mps_official.headers).json()["id"]
    first = r  # the first consent still stands: revoking the second leaves the field readable
    r = reg.client.post(f"{ADMIN}/consents/{consent_id}/revoke", headers=mps_official.headers)
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    assert reg.client.get(url, headers=reg.headers(HANOI, **PURPOSE)).status_code == first.status_code


def test_grants_are_seen_only_by_the_registry_that_keeps_them(reg: GatewayEnv, mof_official) -> None:  # type: ignore[no-untyped-def]
    r = reg.client.get(f"{ADMIN}/grants", headers=mof_official.headers)
    assert r.status_code == 200, r.text
    assert {g["database"] for g in r.json()} == {"enterprise"}
    grant = {"database": "population", "client": HANOI, "fields": ["religion"], "legal_basis": "none"}
    r = reg.client.put(f"{ADMIN}/grants", json=grant, headers=mof_official.headers)
    assert r.status_code == 403


def test_a_changed_grant_applies_at_once(reg: GatewayEnv, mps_official) -> None:  # type: ignore[no-untyped-def]
    url = f"{POPULATION}/citizens/001090000103?fields=ethnicity"
    assert reg.client.get(url, headers=reg.headers(HANOI, **PURPOSE)).status_code == 403  # and now cached
    before = next(g for g in reg.client.get(f"{ADMIN}/grants", headers=mps_official.headers).json()
                  if g["client"] == HANOI and g["database"] == "population")  # fmt: skip
    wider = {"database": "population", "client": HANOI, "fields": [*before["fields"], "ethnicity"],
             "legal_basis": before["legal_basis"]}  # fmt: skip
    assert reg.client.put(f"{ADMIN}/grants", json=wider, headers=mps_official.headers).status_code == 200
    r = reg.client.get(url, headers=reg.headers(HANOI, **PURPOSE))
    assert (r.status_code, r.json().get("ethnicity")) == (200, "01")
    restore = {**wider, "fields": before["fields"]}
    assert reg.client.put(f"{ADMIN}/grants", json=restore, headers=mps_official.headers).status_code == 200
    assert reg.client.get(url, headers=reg.headers(HANOI, **PURPOSE)).status_code == 403
