"""The catalogue API as outside systems see it: contract, validation, permissions, audit."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import Caller
from vnegov.kernel.db import Database
from vnegov.kernel.models import AuditLogEntry, OutboxMessage

API = "/api/v1/catalogs"


def _add(client: TestClient, who: Caller, catalog: str, **item: object):  # type: ignore[no-untyped-def]
    return client.post(f"{API}/{catalog}/items", json=item, headers=who.headers)


def test_create_and_read_an_item(
    client: TestClient, ministry_finance: Caller, make_catalog: Callable[..., str]
) -> None:
    cat = make_catalog(ministry_finance)
    r = _add(
        client,
        ministry_finance,
        cat,
        code="01",
        name_vi="Thành phố Hà Nội",
        name_en="Ha Noi",
        level="province",
        valid_from="2020-01-01",
    )
    assert r.status_code == 201, r.text
    assert r.json()["code"] == "01"
    detail = client.get(f"{API}/{cat}/items/01").json()
    assert detail["current"]["name_vi"] == "Thành phố Hà Nội"
    assert len(detail["history"]) == 1


def test_writes_need_an_api_key(
    client: TestClient, ministry_finance: Caller, make_catalog: Callable[..., str]
) -> None:
    cat = make_catalog(ministry_finance)
    r = client.post(f"{API}/{cat}/items", json={"code": "01", "name_vi": "X", "level": "province"})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "unauthenticated"
    bad = client.post(
        f"{API}/{cat}/items",
        json={"code": "01", "name_vi": "X", "level": "province"},
        headers={"Authorization": "Bearer vng_0000_nope"},
    )
    assert bad.status_code == 401


def test_only_the_owner_agency_writes(
    client: TestClient,
    ministry_finance: Caller,
    province_hanoi: Caller,
    operator: Caller,
    make_catalog: Callable[..., str],
) -> None:
    cat = make_catalog(ministry_finance)
    r = _add(client, province_hanoi, cat, code="01", name_vi="Hà Nội", level="province")
    assert r.status_code == 403
    assert r.json()["code"] == "not_catalog_owner"
    assert client.get(f"{API}/{cat}/items/01").status_code == 404
    assert _add(client, operator, cat, code="01", name_vi="Hà Nội", level="province").status_code == 201


def test_duplicate_code_is_a_conflict_naming_the_field(
    client: TestClient, ministry_finance: Caller, make_catalog: Callable[..., str]
) -> None:
    cat = make_catalog(ministry_finance)
    assert _add(client, ministry_finance, cat, code="01", name_vi="A", level="province").status_code == 201
    r = _add(client, ministry_finance, cat, code="01", name_vi="B", level="province")
    assert r.status_code == 409
    assert r.json()["code"] == "code_taken"
    assert r.json()["field"] == "code"


def test_a_retired_code_is_never_reused(
    client: TestClient, ministry_finance: Caller, make_catalog: Callable[..., str]
) -> None:
    cat = make_catalog(ministry_finance)
    _add(
        client,
        ministry_finance,
        cat,
        code="02",
        name_vi="Hà Giang",
        level="province",
        valid_from="2000-01-01",
    )
    r = client.post(
        f"{API}/{cat}/items/02/retire", json={"valid_to": "2025-06-30"}, headers=ministry_finance.headers
    )
    assert r.status_code == 200, r.text
    again = _add(client, ministry_finance, cat, code="02", name_vi="Tỉnh mới", level="province")
    assert again.status_code == 409
    assert again.json()["code"] == "code_retired"
    assert again.json()["field"] == "code"


def test_unknown_parent_and_dates_out_of_order_name_the_field(
    client: TestClient, ministry_finance: Caller, make_catalog: Callable[..., str]
) -> None:
    cat = make_catalog(ministry_finance)
    r = _add(
        client,
        ministry_finance,
        cat,
        code="00004",
        name_vi="Phường Ba Đình",
        level="commune",
        parent_code="99",
    )
    assert r.status_code == 422
    assert r.json()["field"] == "parent_code"
    r = _add(
        client,
        ministry_finance,
        cat,
        code="01",
        name_vi="Hà Nội",
        level="province",
        valid_from="2025-07-01",
        valid_to="2025-06-30",
    )
    assert r.status_code == 422
    assert r.json()["field"] == "valid_to"
    r = _add(client, ministry_finance, cat, code="01", name_vi="Hà Nội", level="hamlet")
    assert r.status_code == 422
    assert r.json()["field"] == "level"
    r = _add(client, ministry_finance, cat, code="01", name_vi="", level="province")
    assert r.status_code == 422
    assert r.json()["field"] == "name_vi"


def test_attributes_follow_the_catalogue_schema(
    client: TestClient, ministry_finance: Caller, make_catalog: Callable[..., str]
) -> None:
    cat = make_catalog(ministry_finance, fields=({"name": "phone_code", "type": "integer"},))
    ok = _add(
        client,
        ministry_finance,
        cat,
        code="01",
        name_vi="Hà Nội",
        level="province",
        attributes={"phone_code": 24},
    )
    assert ok.status_code == 201
    wrong_type = _add(
        client,
        ministry_finance,
        cat,
        code="02",
        name_vi="X",
        level="province",
        attributes={"phone_code": "24"},
    )
    assert wrong_type.status_code == 422
    assert wrong_type.json()["field"] == "attributes.phone_code"
    unknown = _add(
        client, ministry_finance, cat, code="03", name_vi="X", level="province", attributes={"colour": "red"}
    )
    assert unknown.json()["field"] == "attributes.colour"


def test_a_failed_write_leaves_nothing_behind(
    client: TestClient, db: Database, ministry_finance: Caller, make_catalog: Callable[..., str]
) -> None:
    cat = make_catalog(ministry_finance)
    with db.read() as s:
        audits_before = s.scalar(sa.select(sa.func.count()).select_from(AuditLogEntry))
    r = _add(client, ministry_finance, cat, code="01", name_vi="X", level="province", parent_code="nope")
    assert r.status_code == 422
    with db.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditLogEntry)) == audits_before
    assert client.get(f"{API}/{cat}").json()["revision"] == 1  # the bump was rolled back too


def test_every_write_is_audited_and_announced(
    client: TestClient, db: Database, ministry_finance: Caller, make_catalog: Callable[..., str]
) -> None:
    cat = make_catalog(ministry_finance)
    _add(client, ministry_finance, cat, code="01", name_vi="Hà Nội", level="province")
    with db.read() as s:
        entry = s.scalars(sa.select(AuditLogEntry).where(AuditLogEntry.object_id == f"{cat}/01")).one()
        assert entry.action == "catalogs.item.created"
        assert entry.agency_code == "G12"
        assert entry.actor == ministry_finance.principal.subject
        assert entry.after["name_vi"] == "Hà Nội"
        assert entry.request_id
        events = s.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.topic == "catalogs.item.changed")
        ).all()
        assert any(e.payload == {"catalog": cat, "code": "01", "change": "created"} for e in events)


def test_unknown_catalogue_is_a_404_problem_naming_it(client: TestClient) -> None:
    r = client.get(f"{API}/no-such-catalogue/items")
    assert r.status_code == 404
    body = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert body["code"] == "catalog_not_found"
    assert "no-such-catalogue" in body["detail"]
    assert body["status"] == 404


def test_malformed_date_is_a_422_naming_the_parameter(
    client: TestClient, ministry_finance: Caller, make_catalog: Callable[..., str]
) -> None:
    cat = make_catalog(ministry_finance)
    r = client.get(f"{API}/{cat}/items", params={"valid_on": "30/06/2025"})
    assert r.status_code == 422
    assert r.json()["field"] == "valid_on"
    assert "valid_on" in r.json()["detail"]


def test_new_version_and_time_travel(
    client: TestClient, ministry_finance: Caller, make_catalog: Callable[..., str]
) -> None:
    cat = make_catalog(ministry_finance)
    _add(
        client,
        ministry_finance,
        cat,
        code="46",
        name_vi="Tỉnh Thừa Thiên Huế",
        level="province",
        valid_from="1989-07-01",
    )
    r = client.patch(
        f"{API}/{cat}/items/46",
        json={"name_vi": "Thành phố Huế", "effective": "2025-01-01"},
        headers=ministry_finance.headers,
    )
    assert r.status_code == 200, r.text
    old = client.get(f"{API}/{cat}/items", params={"valid_on": "2024-12-31"}).json()["items"]
    new = client.get(f"{API}/{cat}/items", params={"valid_on": "2025-01-01"}).json()["items"]
    assert [i["name_vi"] for i in old] == ["Tỉnh Thừa Thiên Huế"]
    assert [i["name_vi"] for i in new] == ["Thành phố Huế"]
    history = client.get(f"{API}/{cat}/items/46").json()["history"]
    assert [(h["valid_from"], h["valid_to"]) for h in history] == [
        ("1989-07-01", "2024-12-31"),
        ("2025-01-01", None),
    ]


def test_merge_keeps_the_seat_code_and_closes_the_others(
    client: TestClient, ministry_finance: Caller, make_catalog: Callable[..., str]
) -> None:
    cat = make_catalog(ministry_finance)
    for code, name in (("08", "Tuyên Quang"), ("02", "Hà Giang")):
        _add(
            client,
            ministry_finance,
            cat,
            code=code,
            name_vi=f"Tỉnh {name}",
            level="province",
            valid_from="2000-01-01",
        )
    _add(
        client,
        ministry_finance,
        cat,
        code="00688",
        name_vi="Phường Quang Trung",
        level="commune",
        parent_code="02",
        valid_from="2000-01-01",
    )
    r = client.post(
        f"{API}/{cat}/merges",
        headers=ministry_finance.headers,
        json={"seat_code": "08", "merged_codes": ["02"], "effective": "2025-07-01"},
    )
    assert r.status_code == 200, r.text
    on_after = client.get(f"{API}/{cat}/items", params={"valid_on": "2025-07-01", "level": "province"}).json()
    assert [i["code"] for i in on_after["items"]] == ["08"]
    on_before = client.get(
        f"{API}/{cat}/items", params={"valid_on": "2025-06-30", "level": "province"}
    ).json()
    assert [i["code"] for i in on_before["items"]] == ["02", "08"]
    ward = client.get(f"{API}/{cat}/items/00688", params={"valid_on": "2025-07-01"}).json()
    assert ward["current"]["parent_code"] == "08"  # the child moved to the seat
    xw = client.get(f"{API}/{cat}/crosswalk", params={"from": "02", "on": "2025-07-01"}).json()
    assert xw["codes"] == ["08"]
    back = client.get(f"{API}/{cat}/crosswalk", params={"from": "08", "on": "2025-06-30"}).json()
    assert back["codes"] == ["08"]

    def links(code: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        detail = client.get(f"{API}/{cat}/items/{code}", params={"valid_on": "2025-07-01"}).json()
        return tuple(  # type: ignore[return-value]
            [(x["from_code"], x["to_code"]) for x in detail[side]] for side in ("successors", "predecessors")
        )

    merged = {(x["from_code"], x["to_code"]) for x in xw["path"]}
    assert links("02") == ([("02", "08")], [])  # closed: it went to the seat, nothing came to it
    successors, predecessors = links("08")
    assert ("02", "08") in predecessors and all(to == "08" for _f, to in predecessors)
    assert all(start == "08" for start, _t in successors)
    # a link of the seat to itself, if the merge writes one, is both a successor and a predecessor
    assert [x for x in successors if x[1] == "08"] == [x for x in predecessors if x[0] == "08"]
    assert merged <= set(predecessors) | set(successors)


def test_split_keeps_the_old_code_at_the_seat(
    client: TestClient, ministry_finance: Caller, make_catalog: Callable[..., str]
) -> None:
    cat = make_catalog(ministry_finance)
    _add(
        client,
        ministry_finance,
        cat,
        code="10",
        name_vi="Tỉnh Hà Sơn Bình",
        level="province",
        valid_from="1976-01-01",
    )
    r = client.post(
        f"{API}/{cat}/splits",
        headers=ministry_finance.headers,
        json={
            "code": "10",
            "effective": "1991-10-01",
            "name_vi": "Tỉnh Hà Tây",
            "new_items": [{"code": "11", "name_vi": "Tỉnh Hòa Bình", "level": "province"}],
        },
    )
    assert r.status_code == 200, r.text
    xw = client.get(f"{API}/{cat}/crosswalk", params={"from": "10", "on": "1992-01-01"}).json()
    assert sorted(xw["codes"]) == ["10", "11"]
    names = {
        i["code"]: i["name_vi"]
        for i in client.get(f"{API}/{cat}/items", params={"valid_on": "1992-01-01"}).json()["items"]
    }
    assert names == {"10": "Tỉnh Hà Tây", "11": "Tỉnh Hòa Bình"}


def test_change_feed_lets_a_subscriber_catch_up(
    client: TestClient, ministry_finance: Caller, make_catalog: Callable[..., str]
) -> None:
    cat = make_catalog(ministry_finance)
    start = client.get(f"{API}/{cat}/changes").json()["next_since"]
    _add(client, ministry_finance, cat, code="01", name_vi="Hà Nội", level="province")
    _add(client, ministry_finance, cat, code="79", name_vi="Hồ Chí Minh", level="province")
    feed = client.get(f"{API}/{cat}/changes", params={"since": start}).json()
    assert [(c["item_code"], c["change"]) for c in feed["changes"]] == [("01", "created"), ("79", "created")]
    rest = client.get(f"{API}/{cat}/changes", params={"since": feed["next_since"]}).json()
    assert rest["changes"] == []


def test_etag_gives_not_modified_until_a_change(
    client: TestClient, ministry_finance: Caller, make_catalog: Callable[..., str]
) -> None:
    cat = make_catalog(ministry_finance)
    first = client.get(f"{API}/{cat}/items", params={"valid_on": "2026-01-01"})
    etag = first.headers["etag"]
    again = client.get(
        f"{API}/{cat}/items", params={"valid_on": "2026-01-01"}, headers={"If-None-Match": etag}
    )
    assert again.status_code == 304
    _add(client, ministry_finance, cat, code="01", name_vi="Hà Nội", level="province")
    changed = client.get(
        f"{API}/{cat}/items", params={"valid_on": "2026-01-01"}, headers={"If-None-Match": etag}
    )
    assert changed.status_code == 200
    assert changed.json()["total"] == 1


def test_export_csv_and_json_round_trip(
    client: TestClient, ministry_finance: Caller, make_catalog: Callable[..., str]
) -> None:
    cat = make_catalog(ministry_finance)
    _add(client, ministry_finance, cat, code="01", name_vi="Thành phố Hà Nội", level="province")
    csv_text = client.get(f"{API}/{cat}/export", params={"format": "csv"}).text
    assert csv_text.splitlines()[0].startswith("code,name_vi")
    assert "Thành phố Hà Nội" in csv_text
    doc = client.get(f"{API}/{cat}/export").json()
    assert doc["catalog"]["code"] == cat
    assert [i["code"] for i in doc["items"]] == ["01"]


def test_owner_must_be_a_current_agency(client: TestClient, operator: Caller, reference_data) -> None:  # type: ignore[no-untyped-def]
    body = {"code": "test-owner-check", "name_vi": "Thử", "name_en": "Test", "owner_agency": "X99"}
    r = client.post(API, json=body, headers=operator.headers)
    assert r.status_code == 422
    assert r.json()["field"] == "owner_agency"
    # Hà Giang's committee code was closed when the province merged on 1/7/2025.
    closed = client.post(API, json={**body, "owner_agency": "H22"}, headers=operator.headers)
    assert closed.status_code == 422
    ok = client.post(API, json={**body, "owner_agency": "G12"}, headers=operator.headers)
    assert ok.status_code == 201, ok.text
    assert ok.json()["owner_agency"] == "G12"
