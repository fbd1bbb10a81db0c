"""Time-stamps (dấu thời gian, RFC 3161) from the platform's TSA."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from vnegov.kernel.db import Database
from vnegov.signing.context import SigningContext
from vnegov.signing.crypto import TimeStampAuthority, respond_timestamp
from vnegov.signing.errors import PkiNotReady
from vnegov.signing.models import SerialCounter, ServiceKey
from vnegov.signing.service.authorities import trust_chain
from vnegov.signing.service.common import GOV, TSA_ROLE
from vnegov.signing.service.issuance import load_certificate


class SerialBlocks:
    """Serial numbers handed out from blocks reserved in the database: unique across processes and
    restarts, with one database write per block rather than per token."""

    def __init__(self, db: Database, name: str, block: int = 1000) -> None:
        self.db, self.name, self.block = db, name, block
        self._next = 0
        self._end = 0
        self._lock = threading.Lock()

    def __call__(self) -> int:
        with self._lock:
            if self._next >= self._end:
                self._next = self._reserve()
                self._end = self._next + self.block
            value = self._next
            self._next += 1
            return value

    def _reserve(self) -> int:
        with self.db.transaction() as session:
            row = session.get(SerialCounter, self.name, with_for_update=True)
            if row is None:
                row = SerialCounter(name=self.name, next_value=1)
                session.add(row)
                session.flush()
            start = row.next_value
            row.next_value = start + self.block
            return start


def time_stamp_authority(db: Database, ctx: SigningContext) -> TimeStampAuthority:
    """The platform TSA (built once per process from the stored key and certificate)."""
    tsa: TimeStampAuthority | None = ctx.runtime.get("tsa")
    if tsa is not None:
        return tsa
    with db.read() as session:
        key = session.scalar(sa.select(ServiceKey).where(ServiceKey.role == TSA_ROLE))
        if key is None:
            raise PkiNotReady("the time-stamp authority has not been created yet")
        cert = ctx.certificate(load_certificate(session, key.certificate_serial).certificate_pem)
        chain = tuple(trust_chain(session, ctx, GOV))
        signer = ctx.key_signer(key.key_backend, key.key_pem)
    tsa = TimeStampAuthority(
        certificate=cert,
        signer=signer,
        serial_numbers=SerialBlocks(db, TSA_ROLE),
        policy=ctx.tsa_policy,
        chain=chain,
    )
    ctx.runtime["tsa"] = tsa
    return tsa


def timestamp_response(db: Database, ctx: SigningContext, request_der: bytes) -> bytes:
    """Answer an RFC 3161 time-stamp request (cấp dấu thời gian)."""
    return respond_timestamp(request_der, time_stamp_authority(db, ctx))
