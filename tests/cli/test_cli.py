"""The `vnegov` command: migrations, keys, catalogue export/import, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

from tests.conftest import ROOT, Caller
from vnegov.kernel.settings import Settings


def vnegov(*args: str, database_url: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "VNEGOV_DATABASE_URL": database_url,
        "VNEGOV_DATA_DIR": str(data_dir),
        "PATH": "/usr/bin:/bin",
        "VNEGOV_LOG_JSON": "false",
    }
    return subprocess.run(
        [sys.executable, "-m", "vnegov.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def test_db_current_says_up_to_date(database_url: str, db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = vnegov("db", "current", database_url=database_url, data_dir=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "up to date" in r.stdout
    assert "20261127_01_catalogs" in r.stdout


def test_export_then_import_round_trip(
    database_url: str,
    db,
    tmp_path: Path,
    make_catalog,
    ministry_finance: Caller,  # type: ignore[no-untyped-def]
) -> None:
    from vnegov.catalogs import schemas, service

    code = make_catalog(ministry_finance)
    with db.transaction() as session:
        service.create_item(
            session,
            actor=ministry_finance.principal,
            catalog=code,
            item_in=schemas.ItemCreate(code="01", name_vi="Hà Nội", level="province"),
        )
    out = tmp_path / "export.json"
    r = vnegov("catalogs", "export", code, "--out", str(out), database_url=database_url, data_dir=tmp_path)
    assert r.returncode == 0, r.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    assert [i["code"] for i in document["items"]] == ["01"]

    # Import it under a new code into the same database: a copy with the same items.
    document["catalog"]["code"] = code + "-copy"
    out.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    r = vnegov("catalogs", "import", str(out), database_url=database_url, data_dir=tmp_path)
    assert r.returncode == 0, r.stderr
    with db.read() as session:
        assert service.get_item(session, code + "-copy", "01").name_vi == "Hà Nội"  # type: ignore[union-attr]
    again = vnegov("catalogs", "import", str(out), database_url=database_url, data_dir=tmp_path)
    assert "'items': 0" in again.stdout  # idempotent


def test_bad_input_gets_a_clear_error_and_exit_code(database_url: str, db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = vnegov(
        "catalogs",
        "export",
        "no-such",
        "--out",
        str(tmp_path / "x.json"),
        database_url=database_url,
        data_dir=tmp_path,
    )
    assert r.returncode == 3
    assert "catalogue 'no-such' does not exist" in r.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"items": []}', encoding="utf-8")
    r = vnegov("catalogs", "import", str(bad), database_url=database_url, data_dir=tmp_path)
    assert r.returncode == 2
    assert "not a vnegov catalogue export" in r.stderr
    r = vnegov("serve", "nonsense", database_url=database_url, data_dir=tmp_path)
    assert r.returncode == 2
    assert "unknown component" in r.stderr


def test_keys_create_prints_a_working_key(database_url: str, db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from vnegov.kernel import auth

    r = vnegov(
        "keys",
        "create",
        "--agency",
        "H24",
        "--name",
        "cli test",
        database_url=database_url,
        data_dir=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip()
    with db.read() as session:
        assert auth.authenticate(session, token).agency_code == "H24"


def test_env_example_lists_every_setting() -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    names = {line.split("=", 1)[0] for line in text.splitlines() if line.startswith("VNEGOV_")}
    nested = {
        name
        for name, f in Settings.model_fields.items()
        if isinstance(f.annotation, type) and issubclass(f.annotation, BaseModel)
    }
    expected = {f"VNEGOV_{name.upper()}" for name in Settings.model_fields if name not in nested}
    for group in nested:
        fields = Settings.model_fields[group].annotation.model_fields  # type: ignore[union-attr]
        expected |= {f"VNEGOV_{group.upper()}__{n.upper()}" for n in fields}
    assert expected == names


@pytest.mark.parametrize("command", ["up", "serve", "db", "seed", "catalogs", "keys", "signing", "exchange"])
def test_help_for_every_command(command: str, database_url: str, tmp_path: Path) -> None:
    r = vnegov(command, "--help", database_url=database_url, data_dir=tmp_path)
    assert r.returncode == 0
    assert "Usage" in r.stdout


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    r = vnegov(
        "serve",
        "catalogs",
        "--port",
        "1",
        database_url=f"sqlite:///{tmp_path / 'empty.db'}",
        data_dir=tmp_path,
    )
    assert r.returncode == 1
    assert "vnegov db upgrade" in r.stderr


def test_keys_only_for_a_current_agency(database_url: str, reference_data, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = vnegov(
        "keys", "create", "--agency", "X99", "--name", "typo", database_url=database_url, data_dir=tmp_path
    )
    assert r.returncode == 2
    assert "'X99' is not a current agency code" in r.stderr


def test_a_served_gateway_keeps_idle_connections_for_its_keep_alive() -> None:
    from vnegov.cli.main import server_options
    from vnegov.kernel.serving import CorkedHttpToolsProtocol

    settings = Settings(exchange={"keep_alive_seconds": 90})  # type: ignore[arg-type]
    gateway = server_options(settings, ["exchange", "signing"])
    assert gateway["timeout_keep_alive"] == 90  # not uvicorn's 5 s: peers would shake hands again
    assert gateway["http"] is CorkedHttpToolsProtocol  # no TLS configured: our plain protocol
    assert "timeout_keep_alive" not in server_options(settings, ["catalogs"])  # uvicorn's default
    assert Settings().exchange.keep_alive_seconds > Settings().exchange.peer_idle_seconds
