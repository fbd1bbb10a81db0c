"""The message log as agencies read it: search, who sees which calls, masked user ids, the pages."""

from __future__ import annotations

import sqlalchemy as sa

from tests.conftest import _caller, sign_in_official
from tests.exchange.conftest import DVCQG, ECHO, HANOI, GatewayEnv
from vnegov.kernel.models import AuditLogEntry

API = "/api/v1/exchange/log"
CITIZEN = "VN001099012345"


def _call(gw: GatewayEnv, message_id: str) -> None:
    r = gw.client.post(
        ECHO,
        content=b"{}",
        headers=gw.headers(HANOI, **{"X-Road-Id": message_id, "X-Road-UserId": CITIZEN}),
    )
    assert r.status_code == 200, r.text


def _audited(gw: GatewayEnv, subject: str) -> list[str]:
    with gw.db.read() as session:
        return list(
            session.scalars(
                sa.select(AuditLogEntry.action).where(
                    AuditLogEntry.actor == subject, AuditLogEntry.action == "personal_data.read"
                )
            )
        )


def test_the_calling_agency_sees_its_call_and_the_user_id_and_the_read_is_audited(gw: GatewayEnv) -> None:
    _call(gw, "log-search-1")
    hanoi = _caller(gw.db, "H24", "Hanoi official")
    r = gw.client.get(API, params={"message_id": "log-search-1"}, headers=hanoi.headers)
    assert r.status_code == 200, r.text
    (item,) = r.json()["items"]
    assert item["client"] == HANOI and item["user_id"] == CITIZEN and item["user_id_masked"] is False
    assert item["status"] == 200 and item["duration_ms"] >= 0
    assert _audited(gw, hanoi.principal.subject) == ["personal_data.read"]


def test_the_provider_sees_the_call_with_the_user_id_masked(gw: GatewayEnv) -> None:
    _call(gw, "log-search-2")
    provider = _caller(gw.db, "G22", "Government Office official")  # G22 provides the echo service
    (item,) = gw.client.get(API, params={"message_id": "log-search-2"}, headers=provider.headers).json()[
        "items"
    ]
    assert item["user_id_masked"] is True
    assert item["user_id"] != CITIZEN and item["user_id"].startswith("VN") and "*" in item["user_id"]
    assert _audited(gw, provider.principal.subject) == []


def test_another_agency_sees_nothing_and_anonymous_callers_are_refused(gw: GatewayEnv) -> None:
    _call(gw, "log-search-3")
    stranger = _caller(gw.db, "G12", "Ministry of Finance official")
    r = gw.client.get(API, params={"message_id": "log-search-3"}, headers=stranger.headers)
    assert r.json()["items"] == []
    assert gw.client.get(API).status_code == 401


def test_search_filters_and_pages(gw: GatewayEnv) -> None:
    for i in range(3):
        _call(gw, f"log-page-{i}")
    hanoi = _caller(gw.db, "H24", "Hanoi official")
    first = gw.client.get(API, params={"client": HANOI, "limit": 2}, headers=hanoi.headers).json()
    assert len(first["items"]) == 2 and first["next_before"] is not None
    older = gw.client.get(
        API, params={"client": HANOI, "limit": 2, "before": first["next_before"]}, headers=hanoi.headers
    ).json()
    assert all(o["sequence"] < first["next_before"] for o in older["items"])
    by_service = gw.client.get(API, params={"service": "VN/GOV/G22/DVCQG/echo"}, headers=hanoi.headers).json()
    assert by_service["items"] and all(
        i["service"].startswith("VN/GOV/G22/DVCQG/echo") for i in by_service["items"]
    )
    r = gw.client.get(API, params={"since": "2026-01-01T00:00:00"}, headers=hanoi.headers)
    assert r.status_code == 200 and r.json()["items"]


def test_the_directory_and_log_pages(gw: GatewayEnv) -> None:
    page = gw.client.get("/exchange")
    assert page.status_code == 200
    assert "VN/GOV/G22/DVCQG/echo/v1" in page.text and "Văn phòng Chính phủ" in page.text
    assert gw.client.get("/exchange/log", follow_redirects=False).headers["location"].startswith("/login")
    _call(gw, "log-page-visible")
    sign_in_official(gw.client, gw.app, "H24", next_url="/exchange/log")
    log = gw.client.get("/exchange/log", params={"message_id": "log-page-visible"})
    assert log.status_code == 200 and "log-page-visible" in log.text and CITIZEN in log.text
    window = {"message_id": "log-page-visible", "since": "2020-01-01T00:00"}
    before_it = gw.client.get("/exchange/log", params={**window, "until": "2020-01-02T00:00"})
    row = "log-page-visible</code>"  # the record's row, not the filter's field
    assert before_it.status_code == 200 and row not in before_it.text
    assert row in gw.client.get("/exchange/log", params={**window, "until": "2099-01-01T00:00"}).text
    bad = gw.client.get("/exchange/log", params={"until": "hôm qua"})
    assert bad.status_code == 422 and 'role="alert"' in bad.text and "until" in bad.text
    gw.client.post("/logout")


def test_operational_monitoring_records_calls_and_refusals(gw: GatewayEnv) -> None:
    _call(gw, "opmon-ok")
    refused = gw.client.post(ECHO, content=b"x", headers=gw.headers("VN/GOV/G22/DVCQG"))  # no right
    assert refused.status_code == 403
    assert gw.gateway.opmon is not None
    gw.gateway.opmon.flush()  # the writer would within a second
    operator = _caller(gw.db, "G22", "operator", ("platform-admin",))
    records = gw.client.get("/api/v1/exchange/opmon", params={"limit": 1000}, headers=operator.headers).json()
    ok = next(r for r in records if r["message_id"] == "opmon-ok")
    assert ok["succeeded"] is True and ok["status_code"] == 200 and ok["security_server_type"] == "Producer"
    assert ok["request_in_ts"] <= ok["request_out_ts"] <= ok["response_in_ts"] <= ok["response_out_ts"]
    assert ok["message_user_id"] == CITIZEN and ok["client"] == HANOI
    assert (ok["service"], ok["rest_method"], ok["rest_path"]) == (f"{DVCQG}/echo/v1", "POST", ECHO)
    assert (ok["message_protocol_version"], ok["service_type"]) == ("r1", "REST")
    assert ok["gateway_id"] == gw.gateway.gateway_id
    assert ok["request_size"] > 0 and ok["response_size"] > 0 and ok["fault_code"] == ""
    assert ok["monitoring_data_ts"] == ok["response_out_ts"] // 1000
    denied = next(r for r in records if r["message_id"] == refused.headers["x-road-id"])
    assert denied["succeeded"] is False and denied["fault_code"] == "Server.ServerProxy.AccessDenied"
    # an agency sees its own clients' and services' records only
    stranger = _caller(gw.db, "G12", "Ministry of Finance official")
    assert gw.client.get("/api/v1/exchange/opmon", headers=stranger.headers).json() == []


def test_the_health_check_covers_database_keys_time_stamping_and_log(gw: GatewayEnv) -> None:
    r = gw.client.get("/api/v1/exchange/health")
    assert r.status_code == 200, r.text
    checks = r.json()["checks"]
    assert set(checks) == {
        "database",
        "keys",
        "certificate_status",
        "timestamping",
        "message_log",
        "processes",
    }
    assert all(c["ok"] for c in checks.values())
    gateway = gw.gateway
    grace, failure, oldest = (
        gateway.config.timestamp_grace_seconds,
        gateway.seal_failure,
        gateway._oldest_unsealed,
    )
    try:
        gateway.config.timestamp_grace_seconds = 0.0
        gateway.seal_failure, gateway._oldest_unsealed = "TSA unreachable", 0.0
        r = gw.client.get("/api/v1/exchange/health")
        assert r.status_code == 503 and r.json()["checks"]["timestamping"]["ok"] is False
    finally:
        gateway.config.timestamp_grace_seconds = grace
        gateway.seal_failure, gateway._oldest_unsealed = failure, oldest


def _signed_in(gw: GatewayEnv, agency: str, roles: tuple[str, ...] = ()) -> str:
    """Sign in on the pages; returns the CSRF token of the administration page."""
    import re

    sign_in_official(gw.client, gw.app, agency, roles, next_url="/exchange/manage")
    page = gw.client.get("/exchange/manage")
    assert page.status_code == 200
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


def test_an_agency_manages_its_systems_services_and_rights_on_the_page(gw: GatewayEnv) -> None:
    csrf = _signed_in(gw, "H24")
    try:
        r = gw.client.post(
            "/exchange/manage/register-subsystem",
            data={"csrf": csrf, "subsystem": "VN/GOV/H24/HOTICH", "name": "Hộ tịch Hà Nội"},
        )
        assert r.status_code == 200 and "Đã đăng ký hệ thống" in r.text
        r = gw.client.post(
            "/exchange/manage/register-service",
            data={
                "csrf": csrf,
                "service": "VN/GOV/H24/HOTICH/traCuu/v1",
                "title": "Tra cứu",
                "upstream_url": "http://vnegov.test/api/v1/exchange/demo/echo",
            },
        )
        assert r.status_code == 200, r.text
        r = gw.client.post(
            "/exchange/manage/grant",
            data={
                "csrf": csrf,
                "service": "VN/GOV/H24/HOTICH/traCuu/v1",
                "client": HCMC_CLIENT,
                "method": "GET",
                "path": "/ho-so",
            },
        )
        assert r.status_code == 200 and "/ho-so" in r.text
        assert (
            gw.client.get(
                "/r1/VN/GOV/H24/HOTICH/traCuu/v1/ho-so/1", headers=gw.headers(HCMC_CLIENT)
            ).status_code
            == 200
        )
        # credentials: the secret is shown once, on this answer only
        r = gw.client.post(
            "/exchange/manage/issue-credentials", data={"csrf": csrf, "subsystem": "VN/GOV/H24/HOTICH"}
        )
        assert r.status_code == 201 and 'id="issued-secret"' in r.text
        assert 'id="issued-secret"' not in gw.client.get("/exchange/manage").text
        # another agency's system: refused, named
        r = gw.client.post(
            "/exchange/manage/register-subsystem",
            data={"csrf": csrf, "subsystem": "VN/GOV/H29/X", "name": "x"},
        )
        assert r.status_code == 403 and 'role="alert"' in r.text
        # a form without its CSRF token is refused
        r = gw.client.post(
            "/exchange/manage/register-subsystem", data={"subsystem": "VN/GOV/H24/Y", "name": "y"}
        )
        assert r.status_code in (400, 403)
        assert (
            gw.client.post(
                "/exchange/manage/grant",
                data={"csrf": csrf, "service": "VN/GOV/H24/HOTICH/traCuu/v1", "client": "not an id"},
            ).status_code
            == 422
        )
    finally:
        gw.client.post("/logout")


HCMC_CLIENT = "VN/GOV/H29/LGSP"


def test_an_agency_keeps_a_group_and_grants_it_a_limited_right_on_the_page(gw: GatewayEnv) -> None:
    """Granted to `local:<code>`, a right holds for the systems in the group, and for them only."""
    csrf = _signed_in(gw, "H24")
    service = "VN/GOV/H24/HOTICH/nhomTraCuu/v1"
    post = gw.client.post
    try:
        assert post(
            "/exchange/manage/register-subsystem",
            data={"csrf": csrf, "subsystem": "VN/GOV/H24/HOTICH", "name": "Hộ tịch Hà Nội"},
        ).status_code in (200, 409)  # the test above may have registered it
        r = post(
            "/exchange/manage/register-service",
            data={
                "csrf": csrf,
                "service": service,
                "title": "Tra cứu theo nhóm",
                "upstream_url": "http://vnegov.test/api/v1/exchange/demo/echo",
            },
        )
        assert r.status_code == 200, r.text
        # its address and description, changed on the page
        move = {"csrf": csrf, "service": service}
        r = post("/exchange/manage/move-service", data={**move, "upstream_url": "gopher://x"})
        assert r.status_code == 422 and "upstream_url" in r.text
        r = post(
            "/exchange/manage/move-service",
            data={**move, "upstream_url": "http://vnegov.test/api/v1/exchange/demo/echo/"},
        )
        assert r.status_code == 200 and "Đã đổi địa chỉ dịch vụ" in r.text
        assert 'value="http://vnegov.test/api/v1/exchange/demo/echo/"' in r.text
        r = post("/exchange/manage/describe-service", data={**move, "openapi": "{not json"})
        assert r.status_code == 422 and "openapi" in r.text
        document = '{"openapi": "3.0.3", "info": {"title": "Nhóm", "version": "1"}, "paths": {}}'
        r = post("/exchange/manage/describe-service", data={**move, "openapi": document})
        assert r.status_code == 200 and "Đã lưu mô tả OpenAPI" in r.text
        page = gw.client.get("/exchange/manage").text
        assert 'value="global"' not in page  # global groups are the platform administrator's
        r = post(
            "/exchange/manage/create-group",
            data={"csrf": csrf, "kind": "local", "code": "tinh-ban", "name": "Các tỉnh bạn"},
        )
        assert r.status_code == 200 and "Đã tạo nhóm" in r.text and "local:tinh-ban" in r.text
        group = {"csrf": csrf, "kind": "local", "code": "tinh-ban", "owner": ""}
        r = post("/exchange/manage/add-to-group", data={**group, "subsystem": HCMC_CLIENT})
        assert r.status_code == 200 and "Đã thêm hệ thống vào nhóm" in r.text
        # a rate that is not a number is named; nothing is granted
        r = post(
            "/exchange/manage/grant",
            data={"csrf": csrf, "service": service, "client": "local:tinh-ban", "rate_per_second": "nhanh"},
        )
        assert r.status_code == 422 and "rate_per_second" in r.text
        r = post(
            "/exchange/manage/grant",
            data={
                "csrf": csrf,
                "service": service,
                "client": "local:tinh-ban",
                "rate_per_second": "5",
                "quota_per_day": "1000",
            },
        )
        assert r.status_code == 200 and "5.0 lượt/giây · 1000 lượt/ngày" in r.text, r.text
        path = f"/r1/{service}/x"
        assert gw.client.get(path, headers=gw.headers(HCMC_CLIENT)).status_code == 200
        assert gw.client.get(path, headers=gw.headers(HANOI)).status_code == 403  # not in the group
        r = post("/exchange/manage/remove-from-group", data={**group, "subsystem": HCMC_CLIENT})
        assert r.status_code == 200 and "Đã gỡ hệ thống khỏi nhóm" in r.text
        assert gw.client.get(path, headers=gw.headers(HCMC_CLIENT)).status_code == 403
        # another agency's group cannot be changed from here
        r = post(
            "/exchange/manage/add-to-group",
            data={**group, "owner": "VN/GOV/H29", "subsystem": HANOI},
        )
        assert r.status_code in (403, 404) and 'role="alert"' in r.text
    finally:
        gw.client.post("/logout")
    csrf = _signed_in(gw, "G22", ("platform-admin",))  # the platform keeps global groups
    try:
        r = post(
            "/exchange/manage/create-group",
            data={"csrf": csrf, "kind": "global", "code": "mot-cua-tinh", "name": "Một cửa cấp tỉnh"},
        )
        assert r.status_code == 200 and "global:mot-cua-tinh" in r.text, r.text
        # and the federation: another gateway, and a member whose systems it serves
        r = post(
            "/exchange/manage/register-member",
            data={"csrf": csrf, "member_class": "GOV", "member_code": "H38", "name": "UBND tỉnh Thanh Hóa"},
        )
        assert r.status_code == 200, r.text
        r = post(
            "/exchange/manage/register-gateway",
            data={
                "csrf": csrf,
                "code": "VN/GOV/H38/LGSP",
                "name": "LGSP Thanh Hóa",
                "role": "lgsp",
                "address": "ftp://lgsp.thanhhoa.example",
            },
        )
        assert r.status_code == 422 and "address" in r.text  # named
        gateway = {"code": "VN/GOV/H38/LGSP", "name": "LGSP Thanh Hóa", "role": "lgsp"}
        r = post(
            "/exchange/manage/register-gateway",
            data={"csrf": csrf, **gateway, "address": "https://lgsp.thanhhoa.example:8443"},
        )
        assert r.status_code == 200 and "Đã đăng ký cổng kết nối" in r.text
        r = post(
            "/exchange/manage/member-gateway",
            data={"csrf": csrf, "member": "VN/GOV/H38", "gateway": "VN/GOV/H38/LGSP"},
        )
        assert r.status_code == 200 and "Đã đặt cổng kết nối cho thành viên" in r.text
        row = r.text[r.text.index("<code>VN/GOV/H38/LGSP</code>") :].split("</tr>")[0]
        assert "https://lgsp.thanhhoa.example:8443" in row and "VN/GOV/H38" in row
    finally:
        gw.client.post("/logout")
    csrf = _signed_in(gw, "H24")  # an agency sees no federation settings, and cannot change them
    try:
        assert 'id="gateways"' not in gw.client.get("/exchange/manage").text
        r = post(
            "/exchange/manage/member-gateway", data={"csrf": csrf, "member": "VN/GOV/H24", "gateway": ""}
        )
        assert r.status_code == 403, r.text
    finally:
        gw.client.post("/logout")
