"""The population registry in its own process behind a gateway in another, as a ministry would run
them: the gateway calls it over HTTPS presenting its `exchange_gateway` certificate; the registry
answers calls that carry such a certificate and refuses everyone else, a client system's own
certificate included."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.exchange.test_federation import PASSPHRASE, Node, _env, _issue, _node, _start, _trust
from tests.registries.conftest import AN, HANOI
from vnegov.catalogs.seed import seed as seed_catalogs
from vnegov.components import DEMO_SECRETS
from vnegov.exchange import federation
from vnegov.exchange.seed import seed as seed_exchange
from vnegov.kernel.context import SYSTEM
from vnegov.kernel.settings import Settings
from vnegov.registries.seed import seed as seed_registries
from vnegov.signing import schemas as signing_schemas
from vnegov.signing import service as signing
from vnegov.signing.context import SigningContext

pytestmark = pytest.mark.slow
NDXP, REGISTRY = "VN/GOV/G22/NDXP", "VN/GOV/G01/DANCU"
BODY = {"personal_id": AN, "full_name": "Nguyễn Văn An", "birth_date": "1990-05-20"}
PURPOSE = {"X-Road-Issue": "remote-provider-test"}


@dataclass
class Remote:
    gateway: Node
    registry: Node
    ca_file: Path
    token: str
    ctx: SigningContext


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Remote]:
    tmp = tmp_path_factory.mktemp("remote-registry")
    gateway = _node(tmp, NDXP)
    registry = _node(tmp, REGISTRY)
    registry.db.dispose()  # one database for both processes (shared PostgreSQL, or one SQLite file)
    registry.db, registry.db_url = gateway.db, gateway.db_url
    ctx = SigningContext(passphrase=PASSPHRASE, base_url=gateway.url)
    ca_file = tmp / "national-ca.pem"
    federation.write_national_ca(gateway.db, ctx, ca_file)
    _issue(ctx, gateway, gateway)
    _issue(ctx, gateway, registry)  # the registry's server certificate
    # The services' upstream addresses are the registry process's (seeded as its public base URL).
    settings = Settings(database_url=gateway.db_url, signing={"public_base_url": registry.url})  # type: ignore[arg-type]
    with gateway.db.transaction() as session:
        seed_catalogs(session, SYSTEM)
    with gateway.db.transaction() as session:
        report = seed_exchange(session, SYSTEM, None, settings)
        seed_registries(session, SYSTEM, None, settings)
    secret = next(s for s in report[DEMO_SECRETS] if s["subsystem"] == HANOI)
    try:
        _start(gateway, _env(gateway, ca_file), ca_file, "exchange", "signing")
        _start(registry, _env(registry, ca_file), ca_file, "registries")
        token = httpx.post(
            f"{gateway.url}/token",
            data={"grant_type": "client_credentials"},
            auth=(secret["client_id"], secret["client_secret"]),
            verify=_trust(ca_file),
        ).json()["access_token"]
        yield Remote(gateway, registry, ca_file, token, ctx)
    finally:
        for node in (gateway, registry):
            if node.process is not None and node.process.poll() is None:
                node.process.send_signal(signal.SIGTERM)
                node.process.wait(timeout=20)
        gateway.db.dispose()
        gateway.drop()


def _direct(remote: Remote, cert: Path | None = None) -> httpx.Response:
    tls = _trust(remote.ca_file)
    if cert is not None:
        tls.load_cert_chain(str(cert / "gateway.crt"), str(cert / "gateway.key"))
    return httpx.post(
        f"{remote.registry.url}/api/v1/registries/population/verify",
        json=BODY,
        headers={"X-Road-Client": HANOI, **PURPOSE},
        verify=tls,
    )


def test_a_call_through_the_gateway_reaches_the_registry_process(remote: Remote) -> None:
    with httpx.Client(verify=_trust(remote.ca_file), timeout=20) as http:
        r = http.post(
            f"{remote.gateway.url}/r1/VN/GOV/G01/DANCU/congDan/v1/verify",
            json=BODY,
            headers={"Authorization": f"Bearer {remote.token}", "X-Road-Client": HANOI, **PURPOSE},
        )
    assert r.status_code == 200, r.text
    assert r.json() == {"match": True}


def test_the_registry_refuses_callers_without_a_gateway_certificate(remote: Remote, tmp_path: Path) -> None:
    r = _direct(remote)
    assert (r.status_code, r.json()["code"]) == (403, "not_through_exchange")
    federation.issue_gateway_certificate(
        remote.gateway.db, remote.ctx, code=HANOI, hosts=[], cert_path=tmp_path / "gateway.crt",
        key_path=tmp_path / "gateway.key", profile="tls_client",
    )  # fmt: skip
    r = _direct(remote, tmp_path)  # a client system's own certificate does not make it a gateway
    assert (r.status_code, r.json()["code"]) == (403, "not_through_exchange")
    r = _direct(remote, remote.gateway.data)  # what the gateway itself presents
    assert r.status_code == 200, r.text


def test_a_revoked_gateway_certificate_is_refused_by_the_registry(remote: Remote, tmp_path: Path) -> None:
    serial = federation.issue_gateway_certificate(
        remote.gateway.db, remote.ctx, code="VN/GOV/H24/LGSP", hosts=["127.0.0.1"],
        cert_path=tmp_path / "gateway.crt", key_path=tmp_path / "gateway.key",
    )  # fmt: skip
    assert _direct(remote, tmp_path).status_code == 200
    with remote.gateway.db.transaction() as session:
        signing.revoke_certificate(
            session, actor=SYSTEM, ctx=remote.ctx, serial=serial,
            revoke_in=signing_schemas.Revoke(reason="key_compromise"),
        )  # fmt: skip
    time.sleep(1.2)  # the registry's CRL cache (0.5 s here) expires
    r = _direct(remote, tmp_path)
    assert (r.status_code, r.json()["code"]) == (403, "not_through_exchange")
