"""The gateway through HTTP: tokens, X-Road REST calls, refusals, limits, the log, the LGSP style."""

from __future__ import annotations

import base64
import hashlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import Caller, _caller, _free_port
from tests.exchange.conftest import DVCQG, ECHO, HANOI, HCMC, GatewayEnv
from vnegov.exchange import logstore
from vnegov.exchange.gateway.events import TOPIC_DENIED
from vnegov.exchange.messagelog import body_hash
from vnegov.exchange.models import LogRecord
from vnegov.kernel.models import AuditLogEntry, OutboxMessage
from vnegov.signing.context import SigningContext

API = "/api/v1/exchange"


def _record(gw: GatewayEnv, request_id: str) -> Any:
    with gw.db.read() as session:
        return session.execute(
            sa.select(*LogRecord.__table__.columns).where(LogRecord.query_id == request_id)
        ).first()


def _denials(gw: GatewayEnv, request_id: str) -> list[dict[str, Any]]:
    with gw.db.read() as session:
        rows = session.scalars(
            sa.select(OutboxMessage.payload).where(OutboxMessage.topic == TOPIC_DENIED)
        ).all()
        return [p for p in rows if p.get("request_id") == request_id]


def _register(gw: GatewayEnv, operator: Caller, code: str, upstream: str, **limits: Any) -> str:
    service = f"{DVCQG}/{code}"
    r = gw.client.post(
        f"{API}/services",
        json={"service": service, "title": code, "upstream_url": upstream, **limits},
        headers=operator.headers,
    )
    assert r.status_code == 201, r.text
    r = gw.client.post(
        f"{API}/access-rights", json={"service": service, "client": HANOI}, headers=operator.headers
    )
    assert r.status_code == 201, r.text
    return f"/r1/{service}"


# --------------------------------------------------------------------------- tokens


def test_token_endpoint_issues_a_bearer_token_for_client_credentials(gw: GatewayEnv) -> None:
    r = gw.client.post("/token", data={"grant_type": "client_credentials"}, headers=gw.basic(HANOI))
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "Bearer" and body["client"] == HANOI and body["expires_in"] > 0
    assert r.headers["cache-control"] == "no-store"
    # the credentials may also come in the form (RFC 6749 §2.3.1)
    s = gw.secrets[HANOI]
    form = {
        "grant_type": "client_credentials",
        "client_id": s["client_id"],
        "client_secret": s["client_secret"],
    }
    assert gw.client.post("/token", data=form).status_code == 200


def test_token_endpoint_refuses_a_wrong_secret_and_records_it(gw: GatewayEnv) -> None:
    s = gw.secrets[HANOI]
    raw = base64.b64encode(f"{s['client_id']}:wrong".encode()).decode()
    r = gw.client.post(
        "/token", data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {raw}"}
    )
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"
    with gw.db.read() as session:
        events = session.scalars(
            sa.select(OutboxMessage.payload).where(OutboxMessage.topic == TOPIC_DENIED)
        ).all()
    assert any(
        e.get("client") == s["client_id"] and e["reason"] == "client_not_authenticated" for e in events
    )


def test_token_endpoint_needs_the_client_credentials_grant(gw: GatewayEnv) -> None:
    r = gw.client.post("/token", data={"grant_type": "password"}, headers=gw.basic(HANOI))
    assert r.status_code == 400
    assert r.json()["error"] == "unsupported_grant_type"


# --------------------------------------------------------------------------- a call, logged


def test_a_call_reaches_the_provider_and_is_logged_before_the_answer(gw: GatewayEnv) -> None:
    body = b'{"soDinhDanh":"001099012345"}'
    r = gw.client.post(
        f"{ECHO}/ho-so/123",
        content=body,
        headers=gw.headers(
            HANOI,
            **{
                "Content-Type": "application/json",
                "X-Road-UserId": "VN001099012345",
                "X-Road-Issue": "H24.01-251127-0001",
                "X-Road-Id": "client-chosen-id-1",
            },
        ),
    )
    assert r.status_code == 200, r.text
    assert r.content == body
    # what the provider received: the client and service named by the gateway, the path below the service
    assert r.headers["x-echo-road-client"] == HANOI
    assert r.headers["x-echo-road-service"] == "VN/GOV/G22/DVCQG/echo/v1"
    assert r.headers["x-echo-path"] == "/ho-so/123"
    assert "authorization" not in {k.lower() for k in r.headers if k.lower().startswith("x-echo-")}
    # the X-Road answer headers
    assert r.headers["x-road-id"] == "client-chosen-id-1"
    assert r.headers["x-road-client"] == HANOI
    assert r.headers["x-road-request-hash"] == base64.b64encode(hashlib.sha512(body).digest()).decode()
    record = _record(gw, r.headers["x-road-request-id"])
    assert record is not None, "the answer went back before its log record was committed"
    assert record.message_id == "client-chosen-id-1"
    assert record.client == HANOI and record.service == "VN/GOV/G22/DVCQG/echo/v1"
    assert record.user_id == "VN001099012345"
    assert record.request_hash == body_hash(body) and record.response_hash == body_hash(r.content)
    assert (record.status, record.request_size, record.response_size) == (200, len(body), len(r.content))
    assert record.gateway_id == gw.settings.exchange.gateway_id


def test_the_logged_calls_seal_and_verify(gw: GatewayEnv) -> None:
    for i in range(5):
        r = gw.client.post(ECHO, content=f"message {i}".encode(), headers=gw.headers(HCMC))
        assert r.status_code == 200
    gw.gateway.seal(gw.signing_context())
    assert gw.gateway.seal_failure is None and gw.gateway.last_seal_at is not None
    report = logstore.verify(gw.db, gw.signing_context())
    assert report.ok, report.lines()
    assert report.entries >= 5 and report.sealed_through == report.last_sequence


def test_a_gateway_without_a_signing_context_seals_with_one_of_its_own_made_once(
    gw: GatewayEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An LGSP process, or an embedded tier, seals every few seconds: a context per seal would
    decrypt its key again, or open another HSM session, each time."""
    made: list[SigningContext] = []
    original = SigningContext.from_settings

    def counted(settings: Any) -> SigningContext:
        made.append(original(settings))
        return made[-1]

    monkeypatch.setattr(SigningContext, "from_settings", counted)
    for i in range(2):
        assert gw.client.post(ECHO, content=f"seal {i}".encode(), headers=gw.headers(HCMC)).status_code == 200
        gw.gateway.seal(None)
        assert gw.gateway.seal_failure is None
    assert len(made) == 1
    report = logstore.verify(gw.db, gw.signing_context())
    assert report.ok and report.sealed_through == report.last_sequence, report.lines()


def test_an_unversioned_service_path_and_the_query_string_pass_through(
    gw: GatewayEnv, g22_operator: Caller
) -> None:
    path = _register(gw, g22_operator, "echoPlain", "http://vnegov.test/api/v1/exchange/demo/echo")
    r = gw.client.get(f"{path}/v1/x?a=1&b=%C4%91", headers=gw.headers(HANOI))
    assert r.status_code == 200, r.text
    assert r.headers["x-echo-path"] == "/v1/x"  # "v1" is a path here: no such version is registered


def test_a_provider_moves_its_service_and_describes_it(gw: GatewayEnv, g22_operator: Caller) -> None:
    """A new address takes effect at the gateway at once; only the provider may move or describe it."""
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        gone = f"http://127.0.0.1:{s.getsockname()[1]}/"
    path = _register(gw, g22_operator, "movedService", gone)
    assert gw.client.get(f"{path}/v1/x", headers=gw.headers(HANOI)).status_code in (502, 503, 504)
    service_id = next(
        s["id"] for s in gw.client.get(f"{API}/services").json() if s["service"] == f"{DVCQG}/movedService"
    )
    hanoi = _caller(gw.db, "H24", "Hanoi official")
    move = f"{API}/services/{service_id}/upstream"
    echo = "http://vnegov.test/api/v1/exchange/demo/echo"
    assert gw.client.put(move, json={"upstream_url": echo}, headers=hanoi.headers).status_code == 403
    bad = gw.client.put(move, json={"upstream_url": "file:///etc/passwd"}, headers=g22_operator.headers)
    assert bad.status_code == 422 and bad.json()["field"] == "upstream_url", bad.text
    r = gw.client.put(move, json={"upstream_url": echo}, headers=g22_operator.headers)
    assert r.status_code == 200, r.text
    assert gw.client.get(f"{path}/v1/x", headers=gw.headers(HANOI)).status_code == 200
    document = {"openapi": "3.0.3", "info": {"title": "Moved", "version": "1"}, "paths": {"/x": {}}}
    describe = f"{API}/services/{service_id}/openapi"
    assert gw.client.put(describe, json=document, headers=hanoi.headers).status_code == 403
    r = gw.client.put(describe, json=document, headers=g22_operator.headers)
    assert r.status_code == 200 and r.json()["has_openapi"] is True, r.text
    assert gw.client.get(describe).json() == document
    assert (
        gw.client.put(
            f"{API}/services/999999999/upstream", json={"upstream_url": echo}, headers=g22_operator.headers
        ).status_code
        == 404
    )
    with gw.db.read() as session:
        actions = set(
            session.scalars(
                sa.select(AuditLogEntry.action).where(AuditLogEntry.object_id == f"{DVCQG}/movedService")
            )
        )
    assert {"exchange.service.move", "exchange.service.describe"} <= actions


def test_the_demo_catalogue_service_answers_in_process(gw: GatewayEnv) -> None:
    r = gw.client.get("/r1/VN/GOV/G12/DMDC/danhMucDungChung/v1", headers=gw.headers(HANOI))
    assert r.status_code == 200, r.text
    assert isinstance(r.json(), list)


# --------------------------------------------------------------------------- refusals


def _assert_refused(
    gw: GatewayEnv, r: Any, status: int, xroad: str, code: str, field: str | None = None
) -> None:
    assert r.status_code == status, r.text
    assert r.headers["x-road-error"] == xroad
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["type"] == xroad and body["code"] == code and body["status"] == status
    assert body["message"] and body["detail"]
    if field:
        assert body["field"] == field
    events = _denials(gw, r.headers["x-road-request-id"])
    assert [e["reason"] for e in events] == [code], "each refusal is one security event in the outbox"
    assert _record(gw, r.headers["x-road-request-id"]) is None


def test_a_client_without_an_access_right_is_refused(gw: GatewayEnv) -> None:
    r = gw.client.post(ECHO, content=b"x", headers=gw.headers(DVCQG))  # DVCQG has no right on echo
    _assert_refused(gw, r, 403, "Server.ServerProxy.AccessDenied", "access_denied")
    assert _denials(gw, r.headers["x-road-request-id"])[0]["client"] == DVCQG


def test_a_right_for_one_endpoint_covers_only_that_endpoint(gw: GatewayEnv) -> None:
    citizens = "/r1/VN/GOV/G01/DANCU/congDan/v1"
    r = gw.client.post(f"{citizens}/other", content=b"{}", headers=gw.headers(HANOI))  # right: POST /verify
    _assert_refused(gw, r, 403, "Server.ServerProxy.AccessDenied", "access_denied")
    r = gw.client.post(f"{citizens}/verify/../other", content=b"{}", headers=gw.headers(HANOI))
    assert r.status_code in (400, 403)


def test_no_token_wrong_token_and_a_client_header_that_is_not_the_token_holder(gw: GatewayEnv) -> None:
    r = gw.client.post(ECHO, content=b"x", headers={"X-Road-Client": HANOI})
    _assert_refused(
        gw, r, 401, "Server.ClientProxy.SslAuthenticationFailed", "client_not_authenticated", "Authorization"
    )
    r = gw.client.post(
        ECHO, content=b"x", headers={"X-Road-Client": HANOI, "Authorization": "Bearer abc.def.ghi"}
    )
    _assert_refused(gw, r, 401, "Server.ClientProxy.SslAuthenticationFailed", "client_not_authenticated")
    r = gw.client.post(ECHO, content=b"x", headers={**gw.headers(HANOI), "X-Road-Client": HCMC})
    _assert_refused(
        gw, r, 403, "Server.ClientProxy.SslAuthenticationFailed", "client_mismatch", "X-Road-Client"
    )
    r = gw.client.post(ECHO, content=b"x", headers={"Authorization": f"Bearer {gw.tokens[HANOI]}"})
    _assert_refused(gw, r, 400, "Client.MissingHeader", "missing_header", "X-Road-Client")


def test_malformed_identifiers_and_unknown_services(gw: GatewayEnv) -> None:
    r = gw.client.post("/r1/VN/GOV/G%2022/DVCQG/echo", content=b"x", headers=gw.headers(HANOI))
    _assert_refused(gw, r, 400, "Client.BadRequest", "invalid_identifier", "path")
    r = gw.client.post("/r1/VN/GOV", content=b"x", headers=gw.headers(HANOI))
    _assert_refused(gw, r, 400, "Client.BadRequest", "invalid_identifier", "path")
    r = gw.client.post("/r1/VN/GOV/G22/DVCQG/noSuchService", content=b"x", headers=gw.headers(HANOI))
    _assert_refused(gw, r, 404, "Server.ServerProxy.UnknownService", "unknown_service")
    r = gw.client.post(ECHO, content=b"x", headers=gw.headers(HANOI, **{"X-Road-UserId": "u" * 300}))
    _assert_refused(gw, r, 400, "Client.BadRequest", "invalid_identifier", "X-Road-UserId")


def test_an_oversized_body_is_refused_before_it_is_forwarded(gw: GatewayEnv, g22_operator: Caller) -> None:
    path = _register(
        gw, g22_operator, "small", "http://vnegov.test/api/v1/exchange/demo/echo", max_body_bytes=100
    )
    assert gw.client.post(path, content=b"x" * 100, headers=gw.headers(HANOI)).status_code == 200
    r = gw.client.post(path, content=b"x" * 101, headers=gw.headers(HANOI))
    _assert_refused(gw, r, 413, "Client.InvalidBody", "body_too_large", "body")


def test_rate_limit_and_daily_quota(gw: GatewayEnv, g22_operator: Caller) -> None:
    slow = _register(
        gw, g22_operator, "rated", "http://vnegov.test/api/v1/exchange/demo/echo", rate_per_second=0.5
    )
    assert gw.client.get(slow, headers=gw.headers(HANOI)).status_code == 200
    r = gw.client.get(slow, headers=gw.headers(HANOI))
    _assert_refused(gw, r, 429, "Server.ClientProxy.RateLimitExceeded", "rate_limited")
    assert int(r.headers["retry-after"]) >= 1
    quota = _register(
        gw, g22_operator, "quota", "http://vnegov.test/api/v1/exchange/demo/echo", quota_per_day=2
    )
    assert [gw.client.get(quota, headers=gw.headers(HANOI)).status_code for _ in range(2)] == [200, 200]
    r = gw.client.get(quota, headers=gw.headers(HANOI))
    _assert_refused(gw, r, 429, "Server.ClientProxy.QuotaExceeded", "quota_exceeded")


def test_a_revoked_right_stops_the_next_call(gw: GatewayEnv, g22_operator: Caller) -> None:
    path = _register(gw, g22_operator, "revocable", "http://vnegov.test/api/v1/exchange/demo/echo")
    assert gw.client.get(path, headers=gw.headers(HANOI)).status_code == 200
    rights = gw.client.get(f"{API}/access-rights", params={"service": path[4:]}, headers=g22_operator.headers)
    assert rights.status_code == 200, rights.text
    (right,) = rights.json()
    r = gw.client.delete(f"{API}/access-rights/{right['id']}", headers=g22_operator.headers)
    assert r.status_code == 200, r.text
    r = gw.client.get(path, headers=gw.headers(HANOI))
    _assert_refused(gw, r, 403, "Server.ServerProxy.AccessDenied", "access_denied")


# --------------------------------------------------------------------------- providers that fail


@pytest.fixture()
def silent_provider() -> Iterator[str]:
    """Accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_a_provider_that_is_down_or_slow_is_a_logged_gateway_error(
    gw: GatewayEnv, g22_operator: Caller, silent_provider: str
) -> None:
    down = _register(gw, g22_operator, "down", f"http://127.0.0.1:{_free_port()}/api")
    r = gw.client.get(down, headers=gw.headers(HANOI))
    assert r.status_code == 502 and r.headers["x-road-error"] == "Server.ServerProxy.NetworkError"
    record = _record(gw, r.headers["x-road-request-id"])
    assert record is not None and record.status == 502  # the answer the client got is logged too
    slow = _register(gw, g22_operator, "slow", silent_provider, timeout_seconds=0.3)
    r = gw.client.get(slow, headers=gw.headers(HANOI))
    assert r.status_code == 504 and r.headers["x-road-error"] == "Server.ServerProxy.ServiceFailed"
    assert r.json()["code"] == "upstream_timeout"


# --------------------------------------------------------------------------- the LGSP style


def test_the_lgsp_adapter_path_with_a_bearer_token(gw: GatewayEnv) -> None:
    url = "/XrdAdapter/RestService/forward/echo/v1/tra-cuu?dstcode=VN:GOV:G22:DVCQG&maDonVi=H24"
    r = gw.client.post(
        url,
        content=b"<HoSo/>",
        headers={"Authorization": f"Bearer {gw.tokens[HANOI]}", "Content-Type": "application/xml"},
    )
    assert r.status_code == 200, r.text
    assert r.content == b"<HoSo/>" and r.headers["x-echo-path"] == "/tra-cuu"
    assert _record(gw, r.headers["x-road-request-id"]) is not None


def test_lgsp_refusals_answer_the_provincial_error_codes(gw: GatewayEnv) -> None:
    url = "/XrdAdapter/RestService/forward/echo/v1?dstcode=VN:GOV:G22:DVCQG"
    r = gw.client.post(url, content=b"x")
    assert r.status_code == 401
    assert r.json() | {"description": "", "messageId": ""} == {
        "status": 0,
        "errorCode": 100,
        "errorMessage": "AUTHEN_ERROR",
        "description": "",
        "messageId": "",
    }
    r = gw.client.post(url, content=b"x", headers={"Authorization": f"Bearer {gw.tokens[DVCQG]}"})
    assert (r.status_code, r.json()["errorCode"], r.json()["errorMessage"]) == (403, 101, "IP_DISALLOWED")
    r = gw.client.post(
        "/XrdAdapter/RestService/forward/echo?dstcode=VN:GOV:G99:NOPE",
        content=b"x",
        headers={"Authorization": f"Bearer {gw.tokens[HANOI]}"},
    )
    assert (r.status_code, r.json()["errorCode"]) == (404, 108)
    r = gw.client.post(
        "/XrdAdapter/RestService/forward/echo?dstcode=VN-GOV",
        content=b"x",
        headers={"Authorization": f"Bearer {gw.tokens[HANOI]}"},
    )
    assert (r.status_code, r.json()["errorCode"]) == (400, 302)


# --------------------------------------------------------------------------- fail closed


def test_the_gateway_refuses_calls_while_time_stamping_is_down_too_long(gw: GatewayEnv) -> None:
    from vnegov.signing.context import SigningContext

    gateway = gw.gateway
    broken = SigningContext(passphrase="not the passphrase", base_url="http://vnegov.test")
    assert gw.client.post(ECHO, content=b"a", headers=gw.headers(HANOI)).status_code == 200
    grace = gateway.config.timestamp_grace_seconds
    gateway.seal(broken)
    assert gateway.seal_failure is not None
    try:
        gateway.config.timestamp_grace_seconds = 0.0
        r = gw.client.post(ECHO, content=b"b", headers=gw.headers(HANOI))
        assert r.status_code == 503 and r.headers["x-road-error"] == "Server.ClientProxy.TimestampingFailed"
        assert "time-stamping fails since" in r.json()["detail"]
        gateway.seal(gw.signing_context())  # time-stamping is back
        assert gateway.seal_failure is None
        assert gw.client.post(ECHO, content=b"c", headers=gw.headers(HANOI)).status_code == 200
    finally:
        gateway.config.timestamp_grace_seconds = grace


# --------------------------------------------------------------------------- groups


def test_rights_granted_to_local_and_global_groups_follow_their_members(
    gw: GatewayEnv, g22_operator: Caller
) -> None:
    local = _register(gw, g22_operator, "groupLocal", "http://vnegov.test/api/v1/exchange/demo/echo")
    service = local[4:]
    r = gw.client.post(
        f"{API}/groups",
        json={"kind": "local", "code": "doi-tac", "name": "Đối tác"},
        headers=g22_operator.headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["owner"] == "VN/GOV/G22" and r.json()["id"] == "local:doi-tac"
    r = gw.client.post(
        f"{API}/access-rights",
        json={"service": service, "client": "local:doi-tac"},
        headers=g22_operator.headers,
    )
    assert r.status_code == 201 and r.json()["client"] == "local:doi-tac"
    assert gw.client.get(local, headers=gw.headers(HCMC)).status_code == 403
    members = f"{API}/groups/local/doi-tac/members"
    r = gw.client.post(members, json={"subsystem": HCMC}, headers=g22_operator.headers)
    assert r.status_code == 200 and r.json()["members"] == [HCMC]
    assert gw.client.get(local, headers=gw.headers(HCMC)).status_code == 200
    assert gw.client.delete(f"{members}/{HCMC}", headers=g22_operator.headers).status_code == 200
    assert gw.client.get(local, headers=gw.headers(HCMC)).status_code == 403
    # a global group: the operator keeps it, any provider may grant to it
    r = gw.client.post(
        f"{API}/groups",
        json={"kind": "global", "code": "lgsp-tinh", "name": "LGSP các tỉnh"},
        headers=g22_operator.headers,
    )
    assert r.status_code == 201, r.text
    gw.client.post(
        f"{API}/groups/global/lgsp-tinh/members", json={"subsystem": HCMC}, headers=g22_operator.headers
    )
    r = gw.client.post(
        f"{API}/access-rights",
        json={"service": service, "client": "global:lgsp-tinh"},
        headers=g22_operator.headers,
    )
    assert r.status_code == 201
    assert gw.client.get(local, headers=gw.headers(HCMC)).status_code == 200
    # an unknown group is named in the error
    r = gw.client.post(
        f"{API}/access-rights",
        json={"service": service, "client": "global:nope"},
        headers=g22_operator.headers,
    )
    assert r.status_code == 422 and r.json()["field"] == "client"


def test_who_may_keep_groups(gw: GatewayEnv) -> None:
    from tests.conftest import _caller

    hanoi = _caller(gw.db, "H24", "Hanoi official")
    r = gw.client.post(
        f"{API}/groups", json={"kind": "global", "code": "x", "name": "x"}, headers=hanoi.headers
    )
    assert r.status_code == 403
    r = gw.client.post(
        f"{API}/groups",
        json={"kind": "local", "code": "x", "name": "x", "owner": "VN/GOV/G22"},
        headers=hanoi.headers,
    )
    assert r.status_code == 403
    r = gw.client.post(
        f"{API}/groups", json={"kind": "local", "code": "mine", "name": "x"}, headers=hanoi.headers
    )
    assert r.status_code == 201 and r.json()["owner"] == "VN/GOV/H24"
    assert "local:mine" in [g["id"] for g in gw.client.get(f"{API}/groups", headers=hanoi.headers).json()]


# --------------------------------------------------------------------------- body logging


def test_body_logging_full_metadata_and_off(gw: GatewayEnv, g22_operator: Caller) -> None:
    from tests.conftest import _caller

    setting = f"{API}/subsystems/{DVCQG}/body-logging"
    try:
        r = gw.client.put(setting, json={"body_logging": "full"}, headers=g22_operator.headers)
        assert r.status_code == 200 and r.json()["body_logging"] == "full"
        body = b'{"soDinhDanh":"001099012345"}'
        r = gw.client.post(
            ECHO, content=body, headers=gw.headers(HANOI, **{"Content-Type": "application/json"})
        )
        assert r.status_code == 200
        record = _record(gw, r.headers["x-road-request-id"])
        hanoi = _caller(gw.db, "H24", "Hanoi official")
        bodies = gw.client.get(f"{API}/log/{record.sequence}/bodies", headers=hanoi.headers)
        assert bodies.status_code == 200, bodies.text
        assert base64.b64decode(bodies.json()["request_body_base64"]) == body
        assert (
            bodies.json()["matches_record"] is True
            and bodies.json()["request_content_type"] == "application/json"
        )
        stranger = _caller(gw.db, "G12", "Ministry of Finance official")
        assert (
            gw.client.get(f"{API}/log/{record.sequence}/bodies", headers=stranger.headers).status_code == 404
        )

        assert (
            gw.client.put(setting, json={"body_logging": "off"}, headers=g22_operator.headers).status_code
            == 200
        )
        r = gw.client.post(ECHO, content=b"public", headers=gw.headers(HANOI))
        assert r.status_code == 200 and _record(gw, r.headers["x-road-request-id"]) is None

        r = gw.client.put(setting, json={"body_logging": "sometimes"}, headers=g22_operator.headers)
        assert r.status_code == 422
    finally:
        gw.client.put(setting, json={"body_logging": "metadata"}, headers=g22_operator.headers)
    r = gw.client.post(ECHO, content=b"again", headers=gw.headers(HANOI))
    record = _record(gw, r.headers["x-road-request-id"])
    assert record is not None
    hanoi = _caller(gw.db, "H24", "Hanoi official")
    assert gw.client.get(f"{API}/log/{record.sequence}/bodies", headers=hanoi.headers).status_code == 404


def test_guessing_client_secrets_is_slowed_down(gw: GatewayEnv) -> None:
    s = gw.secrets[HANOI]
    wrong = {"grant_type": "client_credentials", "client_id": s["client_id"], "client_secret": "guess"}
    gw.gateway.rates._buckets.clear()  # earlier tests failed from this address too
    try:
        statuses = [gw.client.post("/token", data=wrong).status_code for _ in range(11)]
        assert statuses[:10] == [401] * 10 and statuses[10] == 429
        # from this address even the right secret waits now
        r = gw.client.post("/token", data={"grant_type": "client_credentials"}, headers=gw.basic(HANOI))
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    finally:
        gw.gateway.rates._buckets.clear()  # other tests share this test client's address


def test_a_right_may_set_this_clients_own_rate_and_quota(gw: GatewayEnv, g22_operator: Caller) -> None:
    service = f"{DVCQG}/perClient"
    r = gw.client.post(
        f"{API}/services",
        json={
            "service": service,
            "title": "per client",
            "upstream_url": "http://vnegov.test/api/v1/exchange/demo/echo",
        },
        headers=g22_operator.headers,
    )
    assert r.status_code == 201, r.text
    r = gw.client.post(
        f"{API}/access-rights",
        json={"service": service, "client": HANOI, "quota_per_day": 1},
        headers=g22_operator.headers,
    )
    assert r.status_code == 201 and r.json()["quota_per_day"] == 1
    gw.client.post(
        f"{API}/access-rights", json={"service": service, "client": HCMC}, headers=g22_operator.headers
    )
    path = f"/r1/{service}"
    assert gw.client.get(path, headers=gw.headers(HANOI)).status_code == 200
    r = gw.client.get(path, headers=gw.headers(HANOI))
    _assert_refused(gw, r, 429, "Server.ClientProxy.QuotaExceeded", "quota_exceeded")
    assert [gw.client.get(path, headers=gw.headers(HCMC)).status_code for _ in range(3)] == [200, 200, 200]
