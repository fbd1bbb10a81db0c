"""A platform of its own for registry tests: catalogues, the demo exchange directory, the registries'
services and demo data, the app behind its gateway, and demo client tokens."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import _caller
from tests.exchange.conftest import BASE, GatewayEnv, fresh_database, gateway_settings
from vnegov.app import create_app
from vnegov.catalogs.seed import seed as seed_catalogs
from vnegov.components import DEMO_SECRETS
from vnegov.exchange.seed import seed as seed_exchange
from vnegov.kernel.context import SYSTEM
from vnegov.kernel.db import Database
from vnegov.kernel.settings import Settings
from vnegov.registries.seed import seed as seed_registries
from vnegov.signing import service as signing
from vnegov.signing.context import SigningContext

POPULATION = "/r1/VN/GOV/G01/DANCU/congDan/v1"
ENTERPRISE = "/r1/VN/GOV/G12/DKDN/doanhNghiep/v1"
PORTAL, HANOI, HCMC = "VN/GOV/G22/DVCQG", "VN/GOV/H24/LGSP", "VN/GOV/H29/LGSP"
AN = "001090000103"  # demo citizen Nguyễn Văn An, born 1990-05-20


def seed_through_registries(db: Database, settings: Settings) -> dict[str, Any]:
    """Catalogues, the PKI, the exchange's demo directory and the registries' demo data (the identity
    tests build on it too); returns the exchange seed's report (its demo client credentials)."""
    with db.transaction() as session:
        seed_catalogs(session, SYSTEM)
    with db.transaction() as session:
        signing.ensure_pki(session, SigningContext.from_settings(settings))
        report = seed_exchange(session, SYSTEM, None, settings)
        seed_registries(session, SYSTEM, None, settings)
    return report


@pytest.fixture(scope="module")
def reg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayEnv]:
    tmp = tmp_path_factory.mktemp("registries")
    db, url, drop = fresh_database(tmp)
    settings = gateway_settings(url, tmp / "data")
    report = seed_through_registries(db, settings)
    secrets = {s["subsystem"]: s for s in report[DEMO_SECRETS]}
    app = create_app(settings, db=db, background=False)
    with TestClient(app, base_url=BASE) as client:
        env = GatewayEnv(app, client, db, settings, secrets, {})
        for subsystem in secrets:
            r = client.post("/token", data={"grant_type": "client_credentials"}, headers=env.basic(subsystem))
            assert r.status_code == 200, r.text
            env.tokens[subsystem] = r.json()["access_token"]
        yield env
    db.dispose()
    drop()


@pytest.fixture(scope="module")
def mps_official(reg: GatewayEnv):  # type: ignore[no-untyped-def]
    """An official of the Ministry of Public Security (G01), which keeps the population registry."""
    return _caller(reg.db, "G01", "registry official")


@pytest.fixture(scope="module")
def mof_official(reg: GatewayEnv):  # type: ignore[no-untyped-def]
    return _caller(reg.db, "G12", "business registration official")
