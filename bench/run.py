"""vnegov benchmarks. `make bench` runs this; the last line printed is one JSON object of figures.

Every figure comes with a baseline measured in the same run on the same machine (a bare query,
`/healthz` of the same server) and the ratio to it, so runs on different machines compare:
- catalogs (`catalogs.py`): lookups in-process and over HTTP, folded search, change-feed sync;
- signing (`signing.py`): issuance, signatures, TSA tokens and OCSP responses, in-process and
  under load from wrk;
- exchange (`exchange.py`): a direct call to an echo provider against the same call through one
  gateway (HTTPS) and through two federated gateways, LGSP → NDXP over mutual TLS, interleaved in the
  same run, with the median ratios and the durably logged messages per second;
- registries (`registries.py`): verify, read and search at 1,000,000 citizens (PostgreSQL; 100,000 on
  SQLite), direct to the registries' process over mutual TLS and through one gateway, with the ratios.

Set VNEGOV_BENCH_DATABASE_URL to run against PostgreSQL instead of a temporary SQLite file (the
database must be empty; the two federated gateways of the exchange benchmark still use SQLite files of
their own); VNEGOV_BENCH_ROUNDS and VNEGOV_BENCH_SECONDS shorten or lengthen the run,
VNEGOV_BENCH_PAIRS sets how many times the exchange part repeats its three runs (direct, one hop, two
hops; 5: its medians stand unless three of the five were slowed by a busy neighbour on the host, where
of three pairs two were enough),
VNEGOV_BENCH_CITIZENS sets the registries' population (generated once, reused when already there).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import catalogs
import exchange
import registries
import signing
from vnegov import migrate
from vnegov.kernel.db import Database
from vnegov.signing.context import SigningContext

ROUNDS = int(os.environ.get("VNEGOV_BENCH_ROUNDS", "3000"))
SECONDS = int(os.environ.get("VNEGOV_BENCH_SECONDS", "5"))
PAIRS = int(os.environ.get("VNEGOV_BENCH_PAIRS", "5"))


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="vnegov-bench-"))
    url = os.environ.get("VNEGOV_BENCH_DATABASE_URL") or f"sqlite:///{workdir / 'bench.db'}"
    passphrase = "bench passphrase, not a secret"
    env = {"VNEGOV_SIGNING__KEY_PASSPHRASE": passphrase, "VNEGOV_DATA_DIR": str(workdir)}
    db = Database(url)
    migrate.upgrade(db)
    ctx = SigningContext(passphrase=passphrase, base_url="http://127.0.0.1:8000")

    import_s = catalogs.prepare(db)
    codes = catalogs.codes(db)
    log(f"engine={db.dialect}; {len(codes)} admin units valid on {catalogs.REFORM}; import {import_s}s")
    figures: dict[str, object] = {"engine": db.dialect, "cpu_count": os.cpu_count(), "rounds": ROUNDS}
    cat: dict[str, object] = {
        "import_admin_units_s": import_s,
        "in_process": catalogs.in_process(db, codes, ROUNDS),
    }
    log(f"catalogs in-process: {json.dumps(cat['in_process'])}")
    cat["http"] = catalogs.over_http(url, codes, ROUNDS, env)
    log(f"catalogs over HTTP: {json.dumps(cat['http'])}")
    figures["catalogs"] = cat

    signing.prepare(db, ctx)
    sig: dict[str, object] = {"in_process": signing.in_process(db, ctx, ROUNDS)}
    log(f"signing in-process: {json.dumps(sig['in_process'])}")
    sig["http"] = signing.over_http(url, db, ctx, env, SECONDS)
    log(f"signing over HTTP: {json.dumps(sig['http'])}")
    figures["signing"] = sig

    figures["exchange"] = exchange.over_http(url, db, env, SECONDS, PAIRS)
    log(f"exchange over HTTP: {json.dumps(figures['exchange'])}")

    figures["registries"] = registries.over_http(url, db, env, SECONDS)
    log(f"registries over HTTP: {json.dumps(figures['registries'])}")
    db.dispose()
    print(json.dumps(figures))


def log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
