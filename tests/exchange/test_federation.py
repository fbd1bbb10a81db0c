"""Federation: an NDXP and two LGSPs, each its own `vnegov serve` process with its own database, talking
mutual TLS on loopback with certificates from the national CA (the NDXP's `signing` component).

Hà Nội's one-stop system (VN/GOV/H24/MCDT) calls Hồ Chí Minh City's civil-status service through
LGSP-H24 → NDXP → LGSP-H29 → provider, and the population registry's service on the NDXP itself; every
hop logs the call. Refusals travel back with their X-Road error; a revoked gateway certificate is refused.
"""

from __future__ import annotations

import contextlib
import os
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import PG_ENV, ROOT, _free_port, _fresh_postgres
from vnegov import migrate
from vnegov.exchange import credentials, federation, schemas, service
from vnegov.exchange.models import LogRecord
from vnegov.kernel.context import SYSTEM
from vnegov.kernel.db import Database
from vnegov.signing import schemas as signing_schemas
from vnegov.signing import service as signing
from vnegov.signing.context import SigningContext

pytestmark = pytest.mark.slow

PASSPHRASE = "federation test passphrase"
NDXP, LGSP_HN, LGSP_HCM = "VN/GOV/G22/NDXP", "VN/GOV/H24/LGSP", "VN/GOV/H29/LGSP"
CLIENT = "VN/GOV/H24/MCDT"
CIVIL = "VN/GOV/H29/HOTICH/hoTich/v1"
POPULATION = "VN/GOV/G01/DANCU/echo/v1"
ECHO_PATH = "/api/v1/exchange/demo/echo"


@dataclass
class Node:
    code: str
    port: int
    url: str
    db: Database
    db_url: str
    drop: Callable[[], None]
    data: Path
    process: subprocess.Popen[bytes] | None = None

    def logged(self, message_id: str) -> list[dict[str, Any]]:
        with self.db.read() as session:
            rows = session.execute(
                sa.select(LogRecord.client, LogRecord.service, LogRecord.status, LogRecord.gateway_id).where(
                    LogRecord.message_id == message_id
                )
            )
            return [dict(r._mapping) for r in rows]


def _trust(ca_file: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca_file))


def _node(tmp: Path, code: str) -> Node:
    base = os.environ.get(PG_ENV)
    name = code.split("/")[2].lower()
    url, drop = _fresh_postgres(base) if base else (f"sqlite:///{tmp / f'{name}.db'}", lambda: None)
    db = Database(url)
    migrate.upgrade(db)
    port = _free_port()
    return Node(code, port, f"https://127.0.0.1:{port}", db, url, drop, tmp / name)


def _issue(ctx: SigningContext, ndxp: Node, node: Node) -> None:
    """A gateway certificate from the national CA, written with its key under the node's data dir."""
    serial = federation.issue_gateway_certificate(
        ndxp.db,
        ctx,
        code=node.code,
        hosts=["127.0.0.1", "localhost"],
        cert_path=node.data / "gateway.crt",
        key_path=node.data / "gateway.key",
    )
    (node.data / "serial").write_text(serial)


def _registry(node: Node, setup: Callable[[Any], None]) -> None:
    with node.db.transaction() as session:
        setup(session)


def _member(session: Any, code: str, name: str, *subsystems: str) -> None:
    service.register_member(
        session, actor=SYSTEM, member_in=schemas.MemberCreate(member_class="GOV", member_code=code, name=name)
    )
    for sub in subsystems:
        service.register_subsystem(
            session, actor=SYSTEM, subsystem_in=schemas.SubsystemCreate(subsystem=sub, name=sub)
        )


def _env(node: Node, ca_file: Path, **extra: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("VNEGOV_")},
        "VNEGOV_DATABASE_URL": node.db_url,
        "VNEGOV_DATA_DIR": str(node.data),
        "VNEGOV_LOG_JSON": "false",
        "VNEGOV_LOG_LEVEL": "WARNING",
        "VNEGOV_SIGNING__KEY_PASSPHRASE": PASSPHRASE,
        "VNEGOV_SIGNING__PUBLIC_BASE_URL": node.url,
        "VNEGOV_EXCHANGE__GATEWAY_ID": node.code,
        "VNEGOV_EXCHANGE__TLS_CERT_FILE": str(node.data / "gateway.crt"),
        "VNEGOV_EXCHANGE__TLS_KEY_FILE": str(node.data / "gateway.key"),
        "VNEGOV_EXCHANGE__TLS_CA_FILE": str(ca_file),
        "VNEGOV_EXCHANGE__CRL_REFRESH_SECONDS": "0.5",
        **extra,
    }


def _start(node: Node, env: dict[str, str], ca_file: Path, *components: str, role: str = "ndxp") -> None:
    args = [
        sys.executable,
        "-m",
        "vnegov.cli.main",
        "serve",
        *components,
        "--port",
        str(node.port),
        "--role",
        role,
    ]
    node.process = subprocess.Popen(
        args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if node.process.poll() is not None:
            err = node.process.stderr.read().decode() if node.process.stderr else ""
            raise RuntimeError(f"{node.code} exited: {err[-3000:]}")
        try:
            httpx.get(f"{node.url}/healthz", verify=_trust(ca_file), timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{node.code} did not start")


@dataclass
class Federation:
    ndxp: Node
    hanoi: Node
    hcmc: Node
    ca_file: Path
    token: str
    ctx: SigningContext

    def call(self, method: str, service_path: str, body: bytes = b"", **headers: str) -> httpx.Response:
        with httpx.Client(verify=_trust(self.ca_file), timeout=20) as http:
            return http.request(
                method,
                f"{self.hanoi.url}/r1/{service_path}",
                content=body,
                headers={"Authorization": f"Bearer {self.token}", "X-Road-Client": CLIENT, **headers},
            )


@pytest.fixture(scope="module")
def fed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    tmp = tmp_path_factory.mktemp("federation")
    ndxp, hanoi, hcmc = (_node(tmp, code) for code in (NDXP, LGSP_HN, LGSP_HCM))
    ctx = SigningContext(passphrase=PASSPHRASE, base_url=ndxp.url)
    ca_file = tmp / "national-ca.pem"
    federation.write_national_ca(ndxp.db, ctx, ca_file)
    for node in (ndxp, hanoi, hcmc):
        _issue(ctx, ndxp, node)

    def national(session: Any) -> None:
        _member(session, "G01", "Bộ Công an", "VN/GOV/G01/DANCU")
        _member(session, "G22", "Văn phòng Chính phủ", "VN/GOV/G22/NDXP")
        _member(session, "H24", "UBND thành phố Hà Nội", CLIENT)
        _member(session, "H29", "UBND Thành phố Hồ Chí Minh", "VN/GOV/H29/HOTICH")
        for code, node, name in ((LGSP_HN, hanoi, "LGSP Hà Nội"), (LGSP_HCM, hcmc, "LGSP TP.HCM")):
            federation.register_gateway(
                session,
                actor=SYSTEM,
                gateway_in=schemas.GatewayCreate(code=code, name=name, role="lgsp", address=node.url),
            )
            federation.set_member_gateway(session, actor=SYSTEM, member=code.rsplit("/", 1)[0], gateway=code)
        service.register_service(
            session,
            actor=SYSTEM,
            service_in=schemas.ServiceCreate(
                service=POPULATION, title="Dân cư (echo)", upstream_url=ndxp.url + ECHO_PATH
            ),
        )
        service.grant_access(
            session, actor=SYSTEM, right_in=schemas.AccessRightCreate(service=POPULATION, client=CLIENT)
        )

    def hanoi_registry(session: Any) -> None:
        _member(session, "H24", "UBND thành phố Hà Nội", CLIENT)

    def hcmc_registry(session: Any) -> None:
        _member(session, "H29", "UBND Thành phố Hồ Chí Minh", "VN/GOV/H29/HOTICH")
        _member(session, "H24", "UBND thành phố Hà Nội", CLIENT)  # a remote client, reached through the NDXP
        service.register_service(
            session,
            actor=SYSTEM,
            service_in=schemas.ServiceCreate(
                service=CIVIL, title="Hộ tịch (echo)", upstream_url=hcmc.url + ECHO_PATH
            ),
        )
        service.grant_access(
            session,
            actor=SYSTEM,
            right_in=schemas.AccessRightCreate(service=CIVIL, client=CLIENT, method="POST", path="/ho-so"),
        )

    _registry(ndxp, national)
    _registry(hanoi, hanoi_registry)
    _registry(hcmc, hcmc_registry)
    with hanoi.db.transaction() as session:
        secret = credentials.issue(session, actor=SYSTEM, subsystem=CLIENT)
    lgsp = {"VNEGOV_EXCHANGE__PARENT_URL": ndxp.url, "VNEGOV_EXCHANGE__PARENT_CODE": NDXP}
    try:
        _start(ndxp, _env(ndxp, ca_file), ca_file, "exchange", "signing")
        _start(hanoi, _env(hanoi, ca_file, **lgsp), ca_file, "exchange", role="lgsp")
        _start(hcmc, _env(hcmc, ca_file, **lgsp), ca_file, "exchange", role="lgsp")
        token = httpx.post(
            f"{hanoi.url}/token",
            data={"grant_type": "client_credentials"},
            auth=(secret.client_id, secret.client_secret),
            verify=_trust(ca_file),
        ).json()["access_token"]
        yield Federation(ndxp, hanoi, hcmc, ca_file, token, ctx)
    finally:
        for node in (ndxp, hanoi, hcmc):
            if node.process is not None and node.process.poll() is None:
                node.process.send_signal(signal.SIGTERM)
                node.process.wait(timeout=20)
            node.db.dispose()
            node.drop()


def test_a_call_crosses_three_gateways_and_each_logs_it(fed: Federation) -> None:
    r = fed.call("POST", f"{CIVIL}/ho-so", b'{"maHoSo":"H29-0001"}', **{"X-Road-Id": "fed-call-1"})
    assert r.status_code == 200, r.text
    assert r.content == b'{"maHoSo":"H29-0001"}'
    assert r.headers["x-echo-road-client"] == CLIENT  # the provider learns who called, across three hops
    assert r.headers["x-echo-path"] == "/ho-so"
    assert r.headers["x-road-service"] == CIVIL
    # One Date and one Server, the first gateway's: each hop's own were not passed on
    assert len(r.headers.get_list("date")) == 1 and len(r.headers.get_list("server")) == 1
    for node in (fed.hanoi, fed.ndxp, fed.hcmc):
        (record,) = node.logged("fed-call-1")
        assert record["client"] == CLIENT and record["status"] == 200 and record["gateway_id"] == node.code
    assert fed.hcmc.logged("fed-call-1")[0]["service"] == CIVIL


def test_a_national_service_is_one_hop_from_the_lgsp(fed: Federation) -> None:
    r = fed.call("POST", POPULATION, b"cccd", **{"X-Road-Id": "fed-call-2"})
    assert r.status_code == 200, r.text
    assert r.content == b"cccd"
    assert len(fed.hanoi.logged("fed-call-2")) == 1 and len(fed.ndxp.logged("fed-call-2")) == 1
    assert fed.hcmc.logged("fed-call-2") == []


def _connections(node: Node, port: int) -> set[int]:
    """The local ports of `node`'s gateway process's established TCP connections to `port` (Linux)."""
    assert node.process is not None
    fd_dir = Path(f"/proc/{node.process.pid}/fd")
    sockets = set()
    for fd in fd_dir.iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                sockets.add(target[8:-1])
    ports = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
        if state == "01" and inode in sockets and int(remote.split(":")[1], 16) == port:
            ports.add(int(local.split(":")[1], 16))
    return ports


def test_the_lgsp_calls_the_ndxp_again_over_the_same_connection_after_a_pause(fed: Federation) -> None:
    """Gateways keep idle connections `exchange.keep_alive_seconds` (not uvicorn's 5 s), and a gateway's
    pool keeps those to its peers `exchange.peer_idle_seconds`: after a pause, no new mutual-TLS handshake."""
    assert fed.call("POST", POPULATION, b"1", **{"X-Road-Id": "fed-keep-1"}).status_code == 200
    before = _connections(fed.hanoi, fed.ndxp.port)
    assert before, "Hà Nội's LGSP holds no connection to the NDXP after calling it"
    time.sleep(6.5)  # longer than uvicorn's default keep-alive and than the providers' pool keeps one
    assert fed.call("POST", POPULATION, b"2", **{"X-Road-Id": "fed-keep-2"}).status_code == 200
    after = _connections(fed.hanoi, fed.ndxp.port)
    assert after and after <= before, f"new connections to the NDXP: {sorted(after - before)}"
    assert len(fed.ndxp.logged("fed-keep-2")) == 1


def test_the_provider_gateway_refuses_without_a_right_and_the_error_travels_back(fed: Federation) -> None:
    r = fed.call("POST", f"{CIVIL}/other", b"x", **{"X-Road-Id": "fed-call-3"})
    assert r.status_code == 403
    assert r.headers["x-road-error"] == "Server.ServerProxy.AccessDenied"
    assert r.json()["code"] == "access_denied"


def test_an_unknown_gateway_and_a_bare_client_are_refused_by_the_ndxp(
    fed: Federation, tmp_path: Path
) -> None:
    # no certificate and no token
    r = httpx.post(
        f"{fed.ndxp.url}/r1/{POPULATION}",
        content=b"x",
        headers={"X-Road-Client": CLIENT},
        verify=_trust(fed.ca_file),
    )
    assert r.status_code == 401 and r.headers["x-road-error"] == "Server.ClientProxy.SslAuthenticationFailed"
    # a valid national certificate, but of a gateway the NDXP does not know
    stranger = Node("VN/GOV/H38/LGSP", 0, "", fed.ndxp.db, "", lambda: None, tmp_path / "h38")
    _issue(fed.ctx, fed.ndxp, stranger)
    tls = ssl.create_default_context(cafile=str(fed.ca_file))
    tls.load_cert_chain(str(stranger.data / "gateway.crt"), str(stranger.data / "gateway.key"))
    r = httpx.post(
        f"{fed.ndxp.url}/r1/{POPULATION}", content=b"x", headers={"X-Road-Client": CLIENT}, verify=tls
    )
    assert r.status_code == 401
    assert "neither a gateway of this federation nor a system connected here" in r.json()["detail"]


def test_a_client_system_may_authenticate_with_its_own_certificate(fed: Federation, tmp_path: Path) -> None:
    """mutual TLS for client systems: a `tls_client` certificate naming the system (CN) and its agency."""
    federation.issue_gateway_certificate(
        fed.ndxp.db,
        fed.ctx,
        code=CLIENT,
        hosts=[],
        cert_path=tmp_path / "client.crt",
        key_path=tmp_path / "client.key",
        profile="tls_client",
    )
    tls = _trust(fed.ca_file)
    tls.load_cert_chain(str(tmp_path / "client.crt"), str(tmp_path / "client.key"))
    r = httpx.post(f"{fed.hanoi.url}/r1/{POPULATION}", content=b"by certificate", verify=tls)
    assert r.status_code == 200, r.text
    assert r.content == b"by certificate" and r.headers["x-road-client"] == CLIENT
    r = httpx.post(
        f"{fed.hanoi.url}/r1/{POPULATION}",
        content=b"x",
        headers={"X-Road-Client": "VN/GOV/H24/OTHER"},
        verify=tls,
    )
    assert r.status_code == 403 and r.json()["code"] == "client_mismatch"


def test_a_gateway_whose_certificate_is_revoked_is_refused(fed: Federation) -> None:
    assert fed.call("POST", POPULATION, b"before").status_code == 200
    with fed.ndxp.db.transaction() as session:
        signing.revoke_certificate(
            session,
            actor=SYSTEM,
            ctx=fed.ctx,
            serial=(fed.hanoi.data / "serial").read_text(),
            revoke_in=signing_schemas.Revoke(reason="key_compromise"),
        )
    time.sleep(1.2)  # the NDXP's CRL cache (0.5 s in this test) expires
    r = fed.call("POST", POPULATION, b"after")
    assert r.status_code == 401, r.text
    assert r.headers["x-road-error"] == "Server.ClientProxy.SslAuthenticationFailed"
    assert "revoked" in r.json()["detail"]
