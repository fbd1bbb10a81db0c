"""A running gateway (cổng an ninh): its registry snapshot, message log writer, limits and seals.

One `Gateway` per process serves every call of the gateway's ASGI app. It owns this process's writer of
the message log: a child process (`ProcessLog`, under `vnegov serve`) or a thread (`GroupCommitLog`);
several processes of one gateway share one chain in one database (`logstore._Writer`); federated
gateways each have their own.

Fail closed: the log is sealed (signed, RFC 3161 time-stamped) every `seal_interval_seconds`. If
records have stayed unsealed for longer than `timestamp_grace_seconds` because sealing keeps failing,
the gateway refuses new calls with `Server.ClientProxy.TimestampingFailed` and says since when and why,
until a seal succeeds again.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any

import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from starlette.types import ASGIApp

from vnegov.exchange import credentials, logstore, processes, quota
from vnegov.exchange.directory import Directory, load_directory
from vnegov.exchange.gateway.errors import TIMESTAMPING_FAILED, GatewayError, Kind
from vnegov.exchange.gateway.events import SecurityEvents
from vnegov.exchange.gateway.limits import DailyQuota, RateLimiter
from vnegov.exchange.gateway.tls import PeerCheck, client_context, provider_context
from vnegov.exchange.gateway.tokens import TokenAuthority
from vnegov.exchange.gateway.upstream import Upstream
from vnegov.exchange.identifiers import parse_client
from vnegov.exchange.logwriter import ProcessLog, ProcessMonitoring
from vnegov.exchange.messagelog import GroupCommitLog
from vnegov.exchange.opmon import OpmonWriter
from vnegov.exchange.service import REGISTRY_CHANGED
from vnegov.kernel.clock import VN_TZ
from vnegov.kernel.context import Principal
from vnegov.kernel.db import Database
from vnegov.kernel.settings import Settings
from vnegov.signing.context import SigningContext

log = logging.getLogger(__name__)
_SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

SWITCH_INTERVAL = 0.0005
"""The log writer thread and the event loop hand the GIL to each other constantly; with Python's default
5 ms switch interval each hand-over can stall the other side for that long (a convoy), which capped a
busy gateway at a fraction of its throughput. Half a millisecond keeps both moving."""


class Gateway:
    def __init__(self, settings: Settings, db: Database, *, local_app: ASGIApp | None = None) -> None:
        self.config = settings.exchange
        self.gateway_id = self.config.gateway_id
        self.operator = parse_client(self.gateway_id, field="exchange.gateway_id").member
        self.db = db
        self.settings = settings
        self.tokens = TokenAuthority.from_data_dir(
            settings.data_dir, issuer=self.gateway_id, ttl_seconds=self.config.token_ttl_seconds
        )
        self.rates = RateLimiter()
        self.quota = DailyQuota(self.lease_quota)
        self.process_id = secrets.token_hex(16)  # this process of the gateway (`exchange.processes`)
        self.processes = 1
        self._announced = False
        self.upstream = Upstream(  # providers: in process, or HTTP(S) presenting our certificate
            connections=self.config.upstream_connections,
            ssl_context=provider_context(self.config),
            local_origin=settings.signing.public_base_url,
            local_app=local_app,
            delivered_by=self.gateway_id,
        )
        self.peer_upstream = Upstream(  # other gateways: mutual TLS, or in process (embedded tiers)
            connections=self.config.upstream_connections,
            ssl_context=client_context(self.config),
            local_origin=settings.signing.public_base_url,
            local_app=local_app,
            local_peer=self.gateway_id,
            idle_seconds=self.config.peer_idle_seconds,
        )
        self.peers = PeerCheck(self.config.tls_ca_file, self.config.crl_refresh_seconds)
        if self.config.role == "lgsp" and not (self.config.parent_url and self.config.parent_code):
            raise ValueError("an LGSP gateway needs exchange.parent_url and exchange.parent_code (its NDXP)")
        self._directory: Directory | None = None
        self._loaded_at = 0.0
        self._generation = 0
        self._loaded_generation = -1
        self._reload_lock: asyncio.Lock | None = None
        db.on_commit(self._on_commit)
        self.log: GroupCommitLog | ProcessLog | None = None
        self.events: SecurityEvents | None = None
        self.opmon: OpmonWriter | ProcessMonitoring | None = None
        self._seal_lock = threading.Lock()
        # Its own signing context when the process serves no `signing` component (an LGSP, the
        # embedded tiers): made once, so its decrypted key, or its HSM session, serves every seal.
        self._seal_context: SigningContext | None = None
        self._start_lock = threading.Lock()
        self._oldest_unsealed: float | None = None  # monotonic time of the oldest record not yet sealed
        self.seal_failure: str | None = None
        self.seal_failing_since: datetime | None = None
        self.last_seal_at: datetime | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Open the message log where the stored chain ends, and the security event writer."""
        with self._start_lock:
            if self.log is None:
                sys.setswitchinterval(SWITCH_INTERVAL)
                self.announce()
                self.events = SecurityEvents(self.db)
                if self.config.log_writer == "process":
                    self.log = ProcessLog(self.db.url)
                    self.opmon = ProcessMonitoring(self.log)
                else:
                    self.opmon = OpmonWriter(self.db)
                    self.log = logstore.open_log(self.db)

    async def ensure_started(self) -> None:
        if self.log is None:
            await asyncio.to_thread(self.start)

    def announce(self) -> None:
        """Say this process runs, and take its share of the gateway's rate limits (a periodic job;
        blocking). A database that does not answer leaves the last share in force."""
        count = processes.announce(self.db, self.gateway_id, self.process_id)
        if count != self.processes:
            log.info(
                "gateway %s runs as %d processes: each allows 1/%d of a rate", self.gateway_id, count, count
            )
        self.processes = count
        self.rates.share = 1.0 / count
        self._announced = True

    def stop(self) -> None:
        if self._announced:
            try:
                processes.withdraw(self.db, self.process_id)
                self._announced = False
            except Exception:  # stopping anyway: the others forget this process when it goes stale
                log.warning("could not withdraw gateway process %s", self.process_id, exc_info=True)
        if self.log is not None:
            self.log.close()
            self.log = None
        if self.events is not None:
            self.events.close()
            self.events = None
        if self.opmon is not None:
            self.opmon.close()
            self.opmon = None

    async def aclose(self) -> None:
        await self.upstream.close()
        await self.peer_upstream.close()

    # ------------------------------------------------------------------ registry snapshot

    def _on_commit(self, info: dict[str, Any]) -> None:
        if info.get(REGISTRY_CHANGED):
            self._generation += 1

    def _stale(self) -> bool:
        return (
            self._directory is None
            or self._loaded_generation != self._generation
            or time.monotonic() - self._loaded_at > self.config.registry_refresh_seconds
        )

    def reload(self) -> Directory:
        generation = self._generation
        with self.db.read() as session:
            directory = load_directory(session)
        self._directory, self._loaded_generation, self._loaded_at = directory, generation, time.monotonic()
        return directory

    def fresh_directory(self) -> Directory | None:
        """The registry snapshot if it need not be reloaded now (else None: await `directory`)."""
        return None if self._stale() else self._directory

    async def directory(self) -> Directory:
        if not self._stale():
            assert self._directory is not None
            return self._directory
        if self._reload_lock is None:
            self._reload_lock = asyncio.Lock()
        async with self._reload_lock:
            if self._stale():
                return await asyncio.to_thread(self.reload)
        assert self._directory is not None
        return self._directory

    # ------------------------------------------------------------------ quotas

    def lease_quota(self, client: str, service: str, day: date, limit: int, want: int) -> int:
        """Lease calls of a client's daily quota for this process (`exchange.quota`; blocking)."""
        return quota.lease(self.db, self._count_logged, client, service, day, limit, want)

    def _count_logged(self, client: str, service: str, day: date) -> int:
        start = datetime.combine(day, dtime.min, tzinfo=VN_TZ).astimezone(UTC)
        return logstore.count_calls(self.db, client, service, start, start + timedelta(days=1))

    # ------------------------------------------------------------------ sealing and fail-closed

    def note_logged(self) -> None:
        if self._oldest_unsealed is None:
            self._oldest_unsealed = time.monotonic()

    def seal(self, ctx: SigningContext | None = None) -> None:
        """Seal what was logged since the last seal; remember a failure for `refusal`."""
        with self._seal_lock:
            started = time.monotonic()
            tip_before = self.log.tip if self.log else None
            try:
                if ctx is None:
                    if self._seal_context is None:
                        self._seal_context = SigningContext.from_settings(self.settings)
                    ctx = self._seal_context
                operator = Principal(subject="system:exchange-gateway", agency_code=self.operator.member_code)
                logstore.seal_pending(self.db, ctx, operator)
            except Exception as exc:
                if self.seal_failure is None:
                    self.seal_failing_since = datetime.now(UTC)
                self.seal_failure = f"{exc.__class__.__name__}: {exc}"
                log.error("message log sealing failed", extra={"error": self.seal_failure})
                return
            self.seal_failure = None
            self.seal_failing_since = None
            self.last_seal_at = datetime.now(UTC)
            if self.log is None or self.log.tip == tip_before:
                self._oldest_unsealed = None
            else:
                self._oldest_unsealed = started

    def refusal(self) -> GatewayError | None:
        """Why the gateway must refuse new calls now (time-stamping down too long), or None."""
        oldest = self._oldest_unsealed
        if oldest is None or self.seal_failure is None:
            return None
        age = time.monotonic() - oldest
        if age <= self.config.timestamp_grace_seconds:
            return None
        since = self.seal_failing_since.isoformat() if self.seal_failing_since else "?"
        return GatewayError(
            TIMESTAMPING_FAILED,
            f"the message log has not been sealed for {age:.0f} s (limit "
            f"{self.config.timestamp_grace_seconds:g} s); time-stamping fails since {since}: "
            f"{self.seal_failure}",
        )

    # ------------------------------------------------------------------ helpers for the HTTP layer

    def current_directory(self) -> Directory | None:
        return self._directory

    async def run_db(self, fn: Any, *args: Any) -> Any:
        """Run blocking database work off the event loop (the registry session or a quota count)."""
        if fn is credentials.authenticate:

            def in_session() -> Any:
                with self.db.read() as session:
                    return fn(session, *args)

            return await asyncio.to_thread(in_session)
        return await asyncio.to_thread(fn, *args)

    async def security_event(self, scope: Any, kind: Kind, message: str, **details: Any) -> None:
        """Record a refusal in the outbox (topic `security.exchange.denied`) before it is answered."""
        if self.events is None:
            return
        client_addr = scope.get("client") or ("", 0)
        payload = {
            "at": datetime.now(UTC).isoformat(),
            "gateway": self.gateway_id,
            "reason": kind.code,
            "xroad_error": kind.xroad,
            "message": message,
            "method": scope.get("method"),
            "path": scope.get("path"),
            "remote_addr": client_addr[0],
            **{k: v for k, v in details.items() if v is not None},
        }
        try:
            await self.events.record(payload)
        except Exception:
            log.exception("could not record a security event", extra={"reason": kind.code})

    # ------------------------------------------------------------------ health

    def health(self) -> dict[str, Any]:
        """Database, keys and certificates, certificate status, time-stamping, the log writer (blocking)."""
        checks: dict[str, dict[str, Any]] = {}

        def check(name: str, fn: Any) -> None:
            try:
                detail = fn()
                checks[name] = {"ok": True, "detail": detail}
            except Exception as exc:
                checks[name] = {"ok": False, "detail": f"{exc.__class__.__name__}: {exc}"}

        check("database", self._check_database)
        check("keys", self._check_keys)
        check("certificate_status", self._check_certificate_status)
        check("timestamping", self._check_timestamping)
        check("message_log", self._check_log)
        check("processes", self._check_processes)
        ok = all(c["ok"] for c in checks.values())
        return {"status": "ok" if ok else "failing", "gateway": self.gateway_id, "checks": checks}

    def _check_processes(self) -> str:
        running = processes.running(self.db, self.gateway_id)
        hosts = sorted({f"{p.host}:{p.pid}" for p in running})
        return f"{len(running)} running ({', '.join(hosts)}); each allows 1/{self.processes} of a rate limit"

    def _check_database(self) -> str:
        with self.db.read() as session:
            session.execute(sa.text("SELECT 1"))
        return self.db.dialect

    def _own_certificate(self) -> x509.Certificate | None:
        if not self.config.tls_cert_file:
            return None
        return x509.load_pem_x509_certificates(self.config.tls_cert_file.read_bytes())[0]

    def _check_keys(self) -> str:
        self.tokens.issue("VN/GOV/G00/HEALTH", "health")  # the token key signs
        cert = self._own_certificate()
        if cert is None:
            return "client token key ready; no TLS certificate configured (embedded mode)"
        assert self.config.tls_key_file is not None
        key = serialization.load_pem_private_key(self.config.tls_key_file.read_bytes(), None)
        if key.public_key().public_bytes(*_SPKI) != cert.public_key().public_bytes(*_SPKI):
            raise ValueError("the TLS key does not belong to the TLS certificate")
        left = cert.not_valid_after_utc - datetime.now(UTC)
        if left.total_seconds() <= 0:
            raise ValueError(f"the TLS certificate expired on {cert.not_valid_after_utc:%Y-%m-%d}")
        return f"client token key ready; TLS certificate valid for {left.days} more days"

    def _check_certificate_status(self) -> str:
        cert = self._own_certificate()
        if cert is None:
            return "no TLS certificate configured"
        pem = cert.public_bytes(serialization.Encoding.PEM).decode()
        self.peers.identify(pem)  # refuses a revoked certificate, or one whose CRL cannot be had
        return f"certificate {cert.serial_number:x} is not revoked"

    def _check_timestamping(self) -> str:
        refusal = self.refusal()
        if refusal is not None:
            raise RuntimeError(refusal.message)
        if self.seal_failure:
            since = f"{self.seal_failing_since:%Y-%m-%d %H:%M:%S}"
            return f"sealing failing since {since} UTC (still within the grace period): {self.seal_failure}"
        return (
            f"last seal {self.last_seal_at:%Y-%m-%d %H:%M:%S} UTC"
            if self.last_seal_at
            else "nothing sealed yet"
        )

    def _check_log(self) -> str:
        if self.log is None:
            return "not started (no call yet)"
        stats = self.log.stats
        per_batch = 1000 * stats.persist_seconds / stats.batches if stats.batches else 0.0
        summary = (
            f"{stats.entries} records written since start in {stats.batches} group commits "
            f"(mean {stats.mean_batch_size:.1f} records, {per_batch:.2f} ms each), "
            f"tip {self.log.tip.sequence}"
        )
        if stats.failed_batches:
            raise RuntimeError(f"{summary}; {stats.failed_entries} records failed to be written")
        return summary
