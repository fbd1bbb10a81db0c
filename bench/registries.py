"""Base registries benchmark: verify, read and search with a million citizens, direct and through one
exchange hop, in the same run (issue 5).

Data: `VNEGOV_BENCH_CITIZENS` citizens (default 1,000,000 on PostgreSQL, 100,000 on SQLite, where the
provider and the gateway share one file) and 20,000 enterprises, made by `synthetic.generate` in the
bench database; the generator's seconds are reported when it runs (`generate_s`). Made once: a
database that already holds as many is reused as it is (a smaller one is topped up), so a later run
against the same PostgreSQL database skips the generation (`over_http` on its own: run.py's exchange
part still wants an empty database).
The catalogues, the exchange's directory and the registries' services, rights and field grants come
from the components' own seeds (idempotent).

Topology, all HTTPS on loopback with certificates of the national CA (in the bench database):
- provider: `vnegov serve registries` (its `tls_server` certificate, asking for client certificates);
  it answers only calls presenting an `exchange_gateway` certificate that the national CA's CRL does
  not revoke (`exchange.provider`); the gateway process serves that CRL.
- direct: load generator → provider, presenting the NDXP gateway's certificate and setting the headers a
  gateway sets (X-Road-Client, X-Road-Id, X-Road-Issue): what a gateway does, without the gateway.
- one hop: load generator → gateway `vnegov serve exchange` (HTTPS, the NDXP's certificate; client token;
  registry and message log in the bench database) → provider over mutual TLS. The gateway finds the
  provider through the directory: the upstream URLs of `VN/GOV/G01/DANCU/congDan/v1` and
  `VN/GOV/G12/DKDN/doanhNghiep/v1` are moved to the provider process (`exchange.service.move_service`).

wrk presents no client certificates, so both paths are loaded by the same generator in this file:
aiohttp on one event loop, `CONNECTIONS` requests in flight, a second of warm-up (TLS handshakes) then
`seconds` measured; every request's latency is kept for p50/p95/p99. Each operation runs direct, then
one hop, at `CONNECTIONS` in flight (throughput; latency includes queueing), then again with one request
in flight (`one_in_flight`: the latency of a call itself). The client shares the two cores with the
provider, the gateway and PostgreSQL, as in the other HTTP benchmarks here.

Operations (the caller is Hà Nội's LGSP, whose field grant is name, birth date, residence, status):
- verify: POST /verify with the ID, name and birth date of one of 10,000 citizens drawn at random
  before the run; one in ten with a wrong given name (answered `match: false`, still 200);
- read: GET /citizens/{id}?fields=full_name,birth_date,permanent_residence (X-Road-Issue set);
- search: GET /enterprises?q=<the last two words of a random enterprise's name: "hoa thanh">.
`VNEGOV_BENCH_PROVIDER_WORKERS` runs the registries' process with that many uvicorn workers (on this
2-core machine a second worker does not help: the cores are shared with everything else above).
Target (issue 5): verify and read p99 ≤ 50 ms through one hop (OpenCRVS: 50/150/300 ms p50/p95/p99 at
1M records); `meets_p99_target` is given at both concurrencies.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import ssl
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import aiohttp
import httpx
import sqlalchemy as sa
from common import free_port

from exchange import NDXP, PASSPHRASE, _gateway, _tls_env, _token
from vnegov.catalogs.seed import seed as seed_catalogs
from vnegov.exchange import credentials, federation
from vnegov.exchange import service as exchange_service
from vnegov.exchange.seed import seed as seed_exchange
from vnegov.kernel.context import SYSTEM
from vnegov.kernel.db import Database
from vnegov.kernel.settings import Settings
from vnegov.kernel.text import fold
from vnegov.registries import synthetic
from vnegov.registries.identifiers import PartialDate
from vnegov.registries.models import Citizen, Enterprise
from vnegov.registries.seed import ENTERPRISE_SERVICE, HANOI, POPULATION_SERVICE
from vnegov.registries.seed import seed as seed_registries
from vnegov.signing.context import SigningContext

CLIENT = HANOI  # VN/GOV/H24/LGSP: rights on verify, citizens and enterprises; a field grant
PROVIDER = "VN/GOV/G01/DANCU"  # the CN of the registries process's server certificate
ENTERPRISES = 20_000
SAMPLE = 10_000
MISMATCH_EVERY = 10
CONNECTIONS = 16
WARMUP_S = 1.0
P99_TARGET_MS = 50.0
ISSUE = "H24-BENCH-0001"
READ_FIELDS = "full_name,birth_date,permanent_residence"


def log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------- the data


def _counts(db: Database) -> tuple[int, int]:
    with db.read() as session:
        citizens = session.scalar(sa.select(sa.func.count()).select_from(Citizen)) or 0
        firms = session.scalar(sa.select(sa.func.count()).select_from(Enterprise)) or 0
    return int(citizens), int(firms)


def prepare(db: Database, wanted: int) -> dict[str, object]:
    """Seeds (catalogues, exchange directory, registries' services and grants), then synthetic citizens
    and enterprises up to `wanted` and ENTERPRISES; what was there, what was made and how long it took."""
    start = time.perf_counter()
    settings = Settings(database_url=str(db.engine.url))
    for seed_component in (seed_catalogs, seed_exchange, seed_registries):
        with db.transaction() as session:
            seed_component(session, SYSTEM, None, settings)
    seed_s = round(time.perf_counter() - start, 1)
    citizens, firms = _counts(db)
    missing_citizens, missing_firms = max(0, wanted - citizens), max(0, ENTERPRISES - firms)
    figures: dict[str, object] = {"seed_s": seed_s, "found_citizens": citizens, "found_enterprises": firms}
    if not (missing_citizens or missing_firms):
        log(f"registries: reusing {citizens} citizens and {firms} enterprises already in the database")
        figures.update(generated_citizens=0, generated_enterprises=0, generate_s=None)
        return figures
    with db.read() as session:
        communes = synthetic.current_communes(session)
    log(f"registries: generating {missing_citizens} citizens and {missing_firms} enterprises ({db.dialect})")
    made = synthetic.generate(
        db,
        citizens=missing_citizens,
        enterprises=missing_firms,
        communes=communes,
        seed=1 + citizens,  # a top-up draws other people than the first run
    )
    log(f"registries: generated in {made.seconds:.1f} s ({made.households} households)")
    figures.update(
        generated_citizens=made.citizens,
        generated_enterprises=made.enterprises,
        generate_s=round(made.seconds, 1),
        generate_citizens_per_s=round(made.citizens / made.seconds) if made.seconds else None,
    )
    return figures


def _route_to(db: Database, services: list[str], base: str) -> None:
    """Point the directory's entries of `services` (VN/GOV/G01/DANCU/congDan/v1) at `base`, as the
    provider's agency would when it moves its system."""
    prefixes = {
        POPULATION_SERVICE: "/api/v1/registries/population",
        ENTERPRISE_SERVICE: "/api/v1/registries/enterprise",
    }
    with db.transaction() as session:
        for name in services:
            exchange_service.move_service(
                session, actor=SYSTEM, service=name, upstream_url=base + prefixes[name]
            )


@dataclass(frozen=True)
class Requests:
    """What the load sends, drawn once before the run: verify bodies, read paths, search queries."""

    verify: list[bytes]
    read: list[str]
    search: list[str]
    matching: bytes  # a verify body that matches (for the probe)


def _draw(db: Database, rng: random.Random) -> Requests:
    with db.read() as session:
        people = session.execute(
            sa.select(
                Citizen.personal_id,
                Citizen.family_name,
                Citizen.middle_name,
                Citizen.given_name,
                Citizen.birth_year,
                Citizen.birth_month,
                Citizen.birth_day,
            )
            .order_by(sa.func.random())
            .limit(SAMPLE)
        ).all()
        names = session.execute(
            sa.select(Enterprise.name_vi, Enterprise.parent_code).order_by(sa.func.random()).limit(SAMPLE)
        ).all()
    verify, read = [], []
    for i, (pid, family, middle, given, year, month, day) in enumerate(people):
        if i % MISMATCH_EVERY == MISMATCH_EVERY - 1:
            given = given + "h"  # a name that differs: the registry answers "no match"
        full = " ".join(p for p in (family, middle, given) if p)
        body = {"personal_id": pid, "full_name": full, "birth_date": str(PartialDate(year, month, day))}
        verify.append(json.dumps(body, ensure_ascii=False).encode())
        read.append(f"/citizens/{pid}?fields={READ_FIELDS}")
    search = [f"/enterprises?q={quote(_brand(name, branch=parent is not None))}" for name, parent in names]
    return Requests(verify=verify, read=read, search=search, matching=verify[0])


def _brand(name_vi: str, *, branch: bool) -> str:
    """What someone looking for "Công ty TNHH Thương mại Hòa Thành" (or its branch "… tại Quảng Ninh")
    types: the last two words of the name, "hoa thanh"."""
    folded = fold(name_vi)
    words = (folded.rsplit(" tai ", 1)[0] if branch else folded).split()
    return " ".join(words[-2:])


# ---------------------------------------------------------------------------------- the load


@dataclass(frozen=True)
class Op:
    name: str
    method: str
    paths: list[str]  # relative to the service
    bodies: list[bytes] | None


@dataclass
class Run:
    """One operation on one path at one concurrency: what the measured window saw."""

    latencies: list[float]  # seconds, in order of size
    seconds: float
    non_2xx: int
    failures: list[str]  # the first few non-2xx answers (status and start of the body)

    @property
    def requests_per_s(self) -> float:
        return round(len(self.latencies) / self.seconds, 1)

    def p(self, q: float) -> float:
        """The `q` quantile of latency in ms (0 without a request)."""
        if not self.latencies:
            return 0.0
        return round(self.latencies[min(len(self.latencies) - 1, int(q * len(self.latencies)))] * 1000, 2)

    def figures(self) -> dict[str, object]:
        out: dict[str, object] = {
            "requests_per_s": self.requests_per_s,
            "p50_ms": self.p(0.50),
            "p95_ms": self.p(0.95),
            "p99_ms": self.p(0.99),
            "requests": len(self.latencies),
            "non_2xx": self.non_2xx,
        }
        if self.failures:
            out["failures"] = self.failures
        return out


async def _drive(
    base: str, op: Op, headers: dict[str, str], context: ssl.SSLContext, seconds: float, connections: int
) -> Run:
    """`connections` loops each sending one request after another for WARMUP_S + `seconds`; latencies
    of the requests that started after the warm-up and ended within the measured window."""
    connector = aiohttp.TCPConnector(limit=connections, ssl=context, keepalive_timeout=60)
    timeout = aiohttp.ClientTimeout(total=30)
    latencies: list[float] = []
    failures: list[str] = []
    non_2xx = 0
    loop_start = time.perf_counter()
    measured_from, measured_to = loop_start + WARMUP_S, loop_start + WARMUP_S + seconds
    content = {"Content-Type": "application/json"} if op.bodies is not None else {}

    async def worker(index: int, http: aiohttp.ClientSession) -> None:
        nonlocal non_2xx
        rng = random.Random(index)
        n = 0
        while True:
            started = time.perf_counter()
            if started >= measured_to:
                return
            n += 1
            i = rng.randrange(len(op.paths))
            sent = {**headers, **content, "X-Road-Id": f"bench-{index}-{n}"}
            body = op.bodies[i] if op.bodies is not None else None
            try:
                async with http.request(op.method, base + op.paths[i], data=body, headers=sent) as r:
                    text = await r.read()
                    status = r.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                status, text = 0, repr(exc).encode()
            ended = time.perf_counter()
            failed = not 200 <= status < 300
            if started >= measured_from and ended <= measured_to:
                latencies.append(ended - started)
                non_2xx += failed
            if failed and len(failures) < 3:
                failures.append(f"{status} {text[:200].decode(errors='replace')}")

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        await asyncio.gather(*(worker(i, http) for i in range(connections)))
    return Run(sorted(latencies), seconds, non_2xx, failures)


def _run(
    base: str, op: Op, headers: dict[str, str], context: ssl.SSLContext, seconds: float, connections: int
) -> Run:
    try:
        import uvloop

        factory: Callable[[], asyncio.AbstractEventLoop] | None = uvloop.new_event_loop
    except ImportError:
        factory = None
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(_drive(base, op, headers, context, seconds, connections))


def _compare(name: str, direct: Run, one_hop: Run) -> dict[str, object]:
    """Both runs of an operation, the one-hop/direct ratios and, for verify and read, the target."""
    entry: dict[str, object] = {"direct": direct.figures(), "one_hop": one_hop.figures()}
    if direct.requests_per_s and direct.p(0.99):
        entry["rps_ratio"] = round(one_hop.requests_per_s / direct.requests_per_s, 3)
        entry["p99_ratio"] = round(one_hop.p(0.99) / direct.p(0.99), 2)
    if name in ("verify", "read"):
        entry["meets_p99_target"] = bool(one_hop.latencies) and one_hop.p(0.99) <= P99_TARGET_MS
    return entry


# ---------------------------------------------------------------------------------- the run


def _pki(db: Database, root: Path, passphrase: str, gateway_url: str) -> tuple[Path, Path, Path, Path, Path]:
    """The national CA in the bench database, its CRLs served by the gateway process (it serves the
    `signing` component, as the NDXP does), the NDXP gateway's certificate and the registries' server
    certificate: (ca, gateway cert, gateway key, provider cert, provider key)."""
    ctx = SigningContext(passphrase=passphrase, base_url=gateway_url)
    ca_file = root / "national-ca.pem"
    federation.write_national_ca(db, ctx, ca_file)
    files = {name: root / name for name in ("gateway.crt", "gateway.key", "registries.crt", "registries.key")}
    for code, profile, cert, key in (
        (NDXP, "exchange_gateway", "gateway.crt", "gateway.key"),
        (PROVIDER, "tls_server", "registries.crt", "registries.key"),
    ):
        federation.issue_gateway_certificate(
            db, ctx, code=code, hosts=["127.0.0.1", "localhost"], cert_path=files[cert], key_path=files[key],
            profile=profile,
        )  # fmt: skip
    return (
        ca_file,
        files["gateway.crt"],
        files["gateway.key"],
        files["registries.crt"],
        files["registries.key"],
    )


def over_http(url: str, db: Database, env: dict[str, str], seconds: int) -> dict[str, object]:
    passphrase = env.get("VNEGOV_SIGNING__KEY_PASSPHRASE") or PASSPHRASE
    env = {**env, "VNEGOV_SIGNING__KEY_PASSPHRASE": passphrase}
    workdir = Path(env.get("VNEGOV_DATA_DIR") or tempfile.mkdtemp(prefix="vnegov-bench-"))
    root = Path(tempfile.mkdtemp(prefix="registries-", dir=workdir))
    default = 1_000_000 if db.dialect == "postgresql" else 100_000
    wanted = int(os.environ.get("VNEGOV_BENCH_CITIZENS") or default)

    figures: dict[str, object] = {"engine": db.dialect}
    figures.update(prepare(db, wanted))
    citizens, firms = _counts(db)
    figures.update(citizens=citizens, enterprises=firms)
    gateway_port = free_port()
    gateway_url = f"https://127.0.0.1:{gateway_port}"
    ca_file, gw_cert, gw_key, provider_cert, provider_key = _pki(db, root, passphrase, gateway_url)
    with db.transaction() as session:
        secret = credentials.issue(session, actor=SYSTEM, subsystem=CLIENT)
    started = time.perf_counter()
    requests = _draw(db, random.Random(5))
    figures["draw_sample_s"] = round(time.perf_counter() - started, 2)

    provider_port = free_port()
    provider_base = f"https://127.0.0.1:{provider_port}"
    _route_to(db, [POPULATION_SERVICE, ENTERPRISE_SERVICE], provider_base)
    ops = [
        ("verify", "POST", POPULATION_SERVICE, "/api/v1/registries/population", ["/verify"], requests.verify),
        ("read", "GET", POPULATION_SERVICE, "/api/v1/registries/population", requests.read, None),
        ("search", "GET", ENTERPRISE_SERVICE, "/api/v1/registries/enterprise", requests.search, None),
    ]
    with ExitStack() as stack:
        trust = ssl.create_default_context(cafile=str(ca_file))
        as_gateway = ssl.create_default_context(cafile=str(ca_file))
        as_gateway.load_cert_chain(str(gw_cert), str(gw_key))
        provider_env = {
            **env,
            "VNEGOV_EXCHANGE__TLS_CERT_FILE": str(provider_cert),
            "VNEGOV_EXCHANGE__TLS_KEY_FILE": str(provider_key),
            "VNEGOV_EXCHANGE__TLS_CA_FILE": str(ca_file),
        }
        gateway_env = {**env, **_tls_env(NDXP, gw_cert, gw_key, ca_file)}
        log(f"registries: provider {provider_base} (mutual TLS), gateway (HTTPS) in front of it")
        stack.enter_context(
            _gateway(
                url,
                ["registries"],
                provider_env,
                trust,
                root / "registries.log",
                port=provider_port,
                workers=int(os.environ.get("VNEGOV_BENCH_PROVIDER_WORKERS", "1")),
            )
        )
        gateway_env["VNEGOV_SIGNING__PUBLIC_BASE_URL"] = gateway_url  # CRLs of the national CA
        gateway = stack.enter_context(
            _gateway(
                url, ["exchange", "signing"], gateway_env, trust, root / "gateway.log", port=gateway_port
            )
        ).url
        http = stack.enter_context(httpx.Client(verify=trust, timeout=30))
        direct_http = stack.enter_context(httpx.Client(verify=as_gateway, timeout=30))
        token = _token(http, gateway, secret.client_id, secret.client_secret)
        one_hop_headers = {"Authorization": f"Bearer {token}", "X-Road-Client": CLIENT, "X-Road-Issue": ISSUE}
        direct_headers = {"X-Road-Client": CLIENT, "X-Road-Issue": ISSUE}

        # The provider refuses a caller without a gateway's certificate; with one, and through the
        # gateway, a matching person is answered as a match.
        verify_path = "/api/v1/registries/population/verify"
        json_headers = {"Content-Type": "application/json"}
        refused = http.post(
            provider_base + verify_path, content=requests.matching, headers={**direct_headers, **json_headers}
        )
        if refused.status_code != 403:
            raise RuntimeError(f"the provider answered a caller without a certificate: {refused.status_code}")
        figures["direct_without_gateway_certificate"] = refused.status_code
        for via, client, headers, base in (
            ("direct", direct_http, direct_headers, provider_base + verify_path),
            ("one hop", http, one_hop_headers, f"{gateway}/r1/{POPULATION_SERVICE}/verify"),
        ):
            r = client.post(base, content=requests.matching, headers={**headers, **json_headers})
            if r.status_code != 200 or r.json() != {"match": True}:
                raise RuntimeError(f"verify {via} does not answer a match: {r.status_code} {r.text[:300]}")

        runs: list[Run] = []
        for name, method, service, prefix, paths, bodies in ops:
            op = Op(name, method, paths, bodies)
            for connections in (CONNECTIONS, 1):  # loaded, then one request in flight
                direct = _run(provider_base + prefix, op, direct_headers, as_gateway, seconds, connections)
                one_hop = _run(f"{gateway}/r1/{service}", op, one_hop_headers, trust, seconds, connections)
                entry = _compare(name, direct, one_hop)
                log(f"registries {name}, {connections} in flight: {json.dumps(entry)}")
                runs += [direct, one_hop]
                if connections == CONNECTIONS:
                    figures[name] = loaded = entry
                else:
                    loaded["one_in_flight"] = entry
    figures.update(
        p99_target_ms=P99_TARGET_MS,
        generator="python-aiohttp",
        connections=CONNECTIONS,
        seconds=seconds,
        warmup_s=WARMUP_S,
        sample=len(requests.read),
        verify_mismatch_share=round(1 / MISMATCH_EVERY, 2),
        one_hop_tls=True,
        provider_mtls=True,
    )
    refused_calls = sum(r.non_2xx for r in runs)
    if refused_calls:
        raise RuntimeError(
            f"{refused_calls} calls failed under load; every call must be answered 2xx. "
            f"Logs: {root}/*.log. Figures: {json.dumps(figures)}"
        )
    return figures
