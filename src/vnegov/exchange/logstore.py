"""The message log in the database (lưu trữ nhật ký thông điệp): persist, stream, seal, verify.

`persist` is what a gateway's `GroupCommitLog` calls: one transaction per batch, so a batch is
stored whole or not at all, and a future resolves only after its commit. Sealing signs the chain
head with the operator's seal and time-stamps it with the platform TSA (both from `signing`, in
process). `verify` streams the records in sequence order with keyset paging (constant memory) and
checks every seal against the government CA.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import operator
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import Session

from vnegov.exchange.identifiers import member_of
from vnegov.exchange.messagelog import (
    GENESIS,
    Chain,
    ChainingPersist,
    ChainSeal,
    ChainTip,
    GroupCommitLog,
    MessageLogEntry,
    TrustCheck,
    VerificationReport,
    body_hash,
    issued_by,
    seal_range,
    verify_log,
)
from vnegov.exchange.messagelog.records import LinkedRecord, from_micros, rfc3339_micros
from vnegov.exchange.models import LogArchive, LogBody, LogRecord, LogSeal
from vnegov.exchange.owned import identifier_filters, owned_newest
from vnegov.exchange.schemas import LoggedBodies, LogPage, LogRecordRead
from vnegov.kernel import audit
from vnegov.kernel.clock import VN_TZ
from vnegov.kernel.context import Principal
from vnegov.kernel.db import Database, MultiRowInsert, combined_insert, native_postgres, raw_cursor
from vnegov.kernel.errors import NotFound
from vnegov.signing import service as signing
from vnegov.signing.context import SigningContext
from vnegov.signing.crypto import timestamp_request

PAGE = 2000
_FIELDS = [c.name for c in LogRecord.__table__.columns]
_STORED_FIELDS = (*LinkedRecord._fields, "client_member", "service_member")  # the members: not chained
if tuple(_FIELDS) != _STORED_FIELDS:  # pragma: no cover - a changed table must change the records
    raise RuntimeError(f"exchange_log_record's columns {_FIELDS} are not {_STORED_FIELDS}")
_CHAIN_COLUMNS = [LogRecord.__table__.c[name] for name in LinkedRecord._fields]
_ROW_OF = operator.attrgetter(*LinkedRecord._fields)
_TIME_COLUMNS = [i for i, name in enumerate(_FIELDS) if name in ("request_time", "response_time")]
_CLIENT, _SERVICE = LinkedRecord._fields.index("client"), LinkedRecord._fields.index("service")


class Bodies(NamedTuple):
    """What a call's record keeps when its provider subsystem logs bodies in full."""

    request_body: bytes
    response_body: bytes
    request_content_type: str
    response_content_type: str


Also = Sequence[tuple[MultiRowInsert, Sequence[tuple[Any, ...]]]]
"""Rows of other tables stored in a log batch's transaction: (their insert, their rows)."""


class _Writer:
    """The log writer thread's own database connection and what it last stored.

    Hot path, so it talks to the driver directly: a batch without bodies is ONE multi-row INSERT in
    autocommit mode (atomic and durable on its own), because every statement lets the event-loop thread
    take the interpreter lock and the writer then waits for it back; BEGIN/SELECT/UPDATE/COMMIT around it
    made a batch cost ten times its disk time under load. Several writers (processes) share the chain
    optimistically: the sequence number is the primary key, so a batch chained after a tip another
    process has moved on from fails as a whole, and is chained again after the stored tip.
    """

    ATTEMPTS = 20

    def __init__(self, db: Database) -> None:
        self.db = db
        self.sqlite = db.dialect == "sqlite"
        # PostgreSQL through psycopg (the driver vnegov installs): one statement a batch, sent as is.
        self.native = native_postgres(db.engine.dialect)
        self.insert = MultiRowInsert(db, LogRecord.__tablename__, _FIELDS, rollback_on_conflict=True)
        self.bodies = MultiRowInsert(db, LogBody.__tablename__, _BODY_FIELDS, rollback_on_conflict=True)
        self.tip = stored_tip(db)
        self.connection: Any = None
        self.integrity_error: type[Exception] = db.engine.dialect.dbapi.IntegrityError  # type: ignore[union-attr]

    def _connect(self) -> Any:
        if self.connection is None:
            raw = self.db.engine.raw_connection()  # kept by this thread for its lifetime
            # Out of the pool for good: in autocommit it must never be handed to a session, whose
            # "transactions" would then commit statement by statement.
            if not self.sqlite:
                raw.driver_connection.autocommit = True  # type: ignore[union-attr]
            raw.detach()
            self.connection = raw
        return self.connection

    def _stored(self, value: object) -> object:
        if isinstance(value, int):  # a `LinkedRecord`'s time, microseconds since the epoch
            if self.sqlite:  # what `UTCDateTime` stores: "YYYY-MM-DD HH:MM:SS.ffffff", UTC
                text = rfc3339_micros(value)
                return f"{text[:10]} {text[11:-1]}"
            return from_micros(value)
        if isinstance(value, datetime):
            utc = value.astimezone(UTC)
            return utc.replace(tzinfo=None).isoformat(" ", "microseconds") if self.sqlite else utc
        return value

    def _row(self, entry: MessageLogEntry | LinkedRecord) -> tuple[Any, ...]:
        """The entry's column values in `_FIELDS` order (read in one C call: this runs per record),
        the members of its client and service last."""
        row: list[Any] = list(entry) if type(entry) is LinkedRecord else list(_ROW_OF(entry))
        for i in _TIME_COLUMNS:
            row[i] = self._stored(row[i])
        row += (member_of(row[_CLIENT]), member_of(row[_SERVICE]))
        return tuple(row)

    def persist(self, chain: Chain, also: Also = ()) -> None:
        """Store a batch (see `ChainingPersist`), and in the same transaction the rows of `also`
        (other tables' rows that travel with the log's: a writer process's monitoring records)."""
        for _attempt in range(self.ATTEMPTS):
            chained = chain(self.tip)
            if not chained:
                if also:
                    self.store_also(also)
                return
            try:
                self._store(chained, also)
            except self.integrity_error:
                self.tip = stored_tip(self.db)  # another writer stored these sequence numbers first
                continue
            except Exception:
                self._reset()
                raise
            self.tip = chained[-1][0].tip
            return
        raise RuntimeError(f"the log tip kept moving: gave up after {self.ATTEMPTS} attempts")

    def _store(self, chained: list[tuple[MessageLogEntry, Any]], also: Also = ()) -> None:
        rows = [self._row(e) for e, _a in chained]
        bodies = [(e.sequence, *a) for e, a in chained if isinstance(a, Bodies)]
        connection = self._connect()
        # (detached from the pool, the connection has no driver_connection; dbapi_connection is it)
        cursor = raw_cursor(connection.dbapi_connection, self.db.engine.dialect) or connection.cursor()
        try:
            with self.db.write_turn():
                self._insert(cursor, rows, bodies, also)
        finally:
            cursor.close()

    def store_also(self, also: Also) -> None:
        """Only the rows of `also`, in one transaction (no log record came with them)."""
        try:
            self._store([], also)
        except Exception:
            self._reset()
            raise

    def _insert(
        self, cursor: Any, rows: list[tuple[Any, ...]], bodies: list[tuple[Any, ...]], also: Also = ()
    ) -> None:
        parts = ((self.insert, rows), (self.bodies, bodies), *also)
        if not self.native and not bodies and not also and len(rows) <= self.insert.chunk:
            cursor.execute(*self.insert.statement(rows))  # one statement: its own transaction
            return
        if self.native:
            combined = combined_insert(parts)
            if combined is not None:
                cursor.execute(*combined)  # every table's rows in one statement: its own transaction
                return
        cursor.execute("BEGIN IMMEDIATE" if self.sqlite else "BEGIN")
        try:
            for insert, table_rows in parts:
                for start in range(0, len(table_rows), insert.chunk):
                    chunk = table_rows[start : start + insert.chunk]
                    cursor.execute(*(insert.numbered(chunk) if self.native else insert.statement(chunk)))
            cursor.execute("COMMIT")
        except BaseException:
            if not self.sqlite or cursor.connection.in_transaction:  # `INSERT OR ROLLBACK` ended it
                cursor.execute("ROLLBACK")
            raise

    def _reset(self) -> None:
        """After a failure the connection may be broken: the next batch opens a new one."""
        if self.connection is not None:
            with contextlib.suppress(Exception):
                self.connection.invalidate()
            self.connection = None


_BODY_FIELDS = ("sequence", "request_body", "response_body", "request_content_type", "response_content_type")


def persister(db: Database) -> ChainingPersist:
    """The `chaining` callable for `GroupCommitLog` (see `_Writer`)."""
    return _Writer(db).persist


def stored_tip(db: Database) -> ChainTip:
    """Where the stored chain ends: its last record, or the end of the last archive, or the genesis."""
    with db.read() as session:
        row = session.execute(
            sa.select(LogRecord.sequence, LogRecord.hash).order_by(LogRecord.sequence.desc()).limit(1)
        ).first()
    return ChainTip(row.sequence, row.hash) if row else archive_anchor(db)


def open_log(db: Database) -> GroupCommitLog:
    """This process's writer of the shared message log."""
    return GroupCommitLog(chaining=persister(db), tip=stored_tip(db))


def iter_entries(db: Database, *, after: int = 0, page: int = PAGE) -> Iterator[MessageLogEntry]:
    """The stored records after sequence `after`, in sequence order, a page at a time."""
    while True:
        with db.read() as session:
            rows = (
                session.execute(
                    sa.select(*_CHAIN_COLUMNS)
                    .where(LogRecord.sequence > after)
                    .order_by(LogRecord.sequence)
                    .limit(page)
                )
                .mappings()
                .all()
            )
        if not rows:
            return
        for row in rows:
            yield MessageLogEntry(**dict(row))
        after = rows[-1]["sequence"]


LONGEST_CALL = timedelta(days=1)
"""No call's record is stored later than this after its request: calls time out in seconds and a record
that cannot be stored fails its call. What `count_calls` relies on to skip older records unread."""


def count_calls(db: Database, client: str, service: str, start: datetime, end: datetime) -> int:
    """Logged calls of `client` to `service` with a request time in [start, end) (daily quotas).

    Read through the member index from the last record stored before `start`: records are stored in
    sequence order, after their request, so every record up to one requested before
    `start - LONGEST_CALL` was stored — and requested — before `start`. Without that bound the count
    read the client's whole history, once a day per client and service, while a call waited for it.
    """
    with db.read() as session:
        before = session.scalar(stored_before(start - LONGEST_CALL))
        return int(session.scalar(calls_after(before or 0, client, service, start, end)) or 0)


def stored_before(moment: datetime) -> sa.Select[int]:
    """The sequence of the record requested last before `moment` (one step down the time index)."""
    return (
        sa.select(LogRecord.sequence)
        .where(LogRecord.request_time < moment)
        .order_by(LogRecord.request_time.desc())
        .limit(1)
    )


def calls_after(sequence: int, client: str, service: str, start: datetime, end: datetime) -> sa.Select[int]:
    """How many of `client`'s calls to `service` stored after `sequence` were requested in [start, end)."""
    return (
        sa.select(sa.func.count())
        .select_from(LogRecord)
        .where(
            LogRecord.client_member == member_of(client),  # the member index, from `sequence` on
            LogRecord.sequence > sequence,
            LogRecord.client == client,
            LogRecord.service == service,
            LogRecord.request_time >= start,
            LogRecord.request_time < end,
        )
    )


def iter_seals(db: Database) -> list[ChainSeal]:
    with db.read() as session:
        rows = session.scalars(sa.select(LogSeal).order_by(LogSeal.last_sequence)).all()
        return [
            ChainSeal(
                first_sequence=r.first_sequence,
                last_sequence=r.last_sequence,
                head_hash=r.head_hash,
                signature=bytes(r.signature),
                certificate=bytes(r.certificate),
                timestamp=bytes(r.timestamp),
                version=r.version,
            )
            for r in rows
        ]


def seal_pending(db: Database, ctx: SigningContext, operator: Principal) -> ChainSeal | None:
    """Seal the records written since the last seal (None when there are none).

    Only the head record is read: sealing every few seconds must not re-read a busy gateway's log.
    """
    with db.read() as session:
        last = session.scalar(sa.select(sa.func.max(LogSeal.last_sequence))) or 0
    last = max(last, archive_anchor(db).sequence)  # archived seals are no longer in the table
    head = next(iter_entries(db, after=stored_tip(db).sequence - 1, page=1), None)
    if head is None or head.sequence <= last:
        return None
    with db.transaction() as session:
        signer, chain = signing.ensure_seal(session, actor=operator, ctx=ctx)

    def stamp(digest: bytes) -> bytes:
        return signing.timestamp_response(db, ctx, timestamp_request(digest, "sha256"))

    seal = seal_range(last + 1, head, signer, chain[0], stamp)
    try:
        _store_seal(db, seal)
    except sa.exc.IntegrityError:
        return None  # another gateway process sealed from the same record first: its seal stands
    return seal


def _store_seal(db: Database, seal: ChainSeal) -> None:
    with db.transaction() as session:
        session.add(
            LogSeal(
                first_sequence=seal.first_sequence,
                last_sequence=seal.last_sequence,
                head_hash=seal.head_hash,
                signature=seal.signature,
                certificate=seal.certificate,
                timestamp=seal.timestamp,
                version=seal.version,
            )
        )


def platform_trust(db: Database, ctx: SigningContext) -> TrustCheck:
    """Seals and time-stamps must come from certificates of the platform's government CA."""
    with db.read() as session:
        return issued_by(signing.trust_chain(session, ctx, signing.GOV)[0])


def verify(db: Database, ctx: SigningContext) -> VerificationReport:
    """Stream the stored log and its seals; name every edited, deleted or reordered record.

    After archiving, the check starts where the last archive ended (its files verify on their own).
    """
    anchor = archive_anchor(db)
    return verify_log(
        iter_entries(db, after=anchor.sequence),
        iter_seals(db),
        trusted_check=platform_trust(db, ctx),
        anchor=anchor,
    )


# --------------------------------------------------------------------------- search (who may see what)


def _agency_members(actor: Principal) -> tuple[str, ...] | None:
    """None: every record (platform administrators, auditors); else the agency's own members
    (`VN/GOV/H24`), which its records name as client or service."""
    if actor.has_role("platform-admin") or actor.has_role("auditor") or actor.has_role("system"):
        return None
    if not actor.agency_code:
        return ()
    return tuple(f"{instance}/GOV/{actor.agency_code}" for instance in ("VN",))


def _aware(moment: datetime | None) -> datetime | None:
    """A time without an offset is Vietnam time (what a form or an official means)."""
    return moment.replace(tzinfo=VN_TZ) if moment is not None and moment.tzinfo is None else moment


def _masked(user_id: str) -> str:
    if len(user_id) <= 4:
        return "*" * len(user_id)
    keep = max(2, len(user_id) // 5)
    return user_id[:keep] + "*" * (len(user_id) - 2 * keep) + user_id[-keep:]


def search(
    session: Session,
    *,
    actor: Principal,
    message_id: str | None = None,
    client: str | None = None,
    service: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before: int | None = None,
    limit: int = 50,
) -> LogPage:
    """Records the caller may see, newest first: an agency sees calls its systems made or answered.

    The user id (X-Road-UserId, usually a citizen's ID number) is shown in full only to the calling
    agency and to auditors; every such read is written to the audit log (Decree 13/2023).
    """
    since, until = _aware(since), _aware(until)
    members = _agency_members(actor)
    filters = identifier_filters(LogRecord, client, service)
    if message_id:
        filters.append(LogRecord.message_id == message_id)
    if since:
        filters.append(LogRecord.request_time >= since)
    if until:
        filters.append(LogRecord.request_time < until)
    if before:
        filters.append(LogRecord.sequence < before)
    rows: Sequence[LogRecord]
    if members is None or message_id:  # everything, or one message: no need to read by member
        query = sa.select(LogRecord).where(*filters).order_by(LogRecord.sequence.desc()).limit(limit)
        if members is not None:
            query = query.where(
                sa.or_(LogRecord.client_member.in_(members), LogRecord.service_member.in_(members))
            )
        rows = session.scalars(query).all()
    else:
        rows = owned_newest(session, LogRecord, LogRecord.sequence, members, filters, limit)
    items, revealed = [], []
    for row in rows:
        entitled = members is None or row.client_member in members
        if entitled and row.user_id:
            revealed.append(row.sequence)
        items.append(
            LogRecordRead(
                sequence=row.sequence,
                message_id=row.message_id,
                request_id=row.query_id,
                client=row.client,
                service=row.service,
                user_id=row.user_id if entitled else _masked(row.user_id),
                user_id_masked=bool(row.user_id) and not entitled,
                issue=row.issue,
                request_time=row.request_time,
                response_time=row.response_time,
                duration_ms=round((row.response_time - row.request_time).total_seconds() * 1000, 3),
                status=row.status,
                request_size=row.request_size,
                response_size=row.response_size,
                request_hash=row.request_hash,
                response_hash=row.response_hash,
                gateway_id=row.gateway_id,
                hash=row.hash,
            )
        )
    if revealed:
        audit.record(
            session,
            actor=actor,
            action="personal_data.read",
            object_type="exchange_log_record",
            object_id=str(revealed[0]) if len(revealed) == 1 else f"{len(revealed)} records",
            after={"sequences": revealed[:200], "fields": ["user_id"]},
        )
    return LogPage(items=items, next_before=rows[-1].sequence if len(rows) == limit else None)


def read_bodies(session: Session, *, actor: Principal, sequence: int) -> LoggedBodies:
    """A call's logged bodies, for the calling or providing agency (or an auditor); the read is audited."""
    record = session.get(LogRecord, sequence)
    members = _agency_members(actor)
    visible = record is not None and (
        members is None or record.client_member in members or record.service_member in members
    )
    bodies = session.get(LogBody, sequence) if visible else None
    if record is None or bodies is None:
        raise NotFound(f"no logged bodies for record {sequence}", sequence=sequence)
    audit.record(
        session,
        actor=actor,
        action="personal_data.read",
        object_type="exchange_log_record",
        object_id=str(sequence),
        after={"fields": ["request_body", "response_body"]},
    )
    request, response = bytes(bodies.request_body), bytes(bodies.response_body)
    return LoggedBodies(
        sequence=sequence,
        request_body_base64=base64.b64encode(request).decode(),
        response_body_base64=base64.b64encode(response).decode(),
        request_content_type=bodies.request_content_type,
        response_content_type=bodies.response_content_type,
        matches_record=body_hash(request) == record.request_hash
        and body_hash(response) == record.response_hash,
    )


# --------------------------------------------------------------------------- retention and archives

ARCHIVE_FORMAT = "vnegov-messagelog-archive"


@dataclass(frozen=True)
class ArchiveResult:
    path: Path
    first_sequence: int
    last_sequence: int
    records: int
    sha256: str


def archive_anchor(db: Database) -> ChainTip:
    """Where the records still in the database start: the last archived record (or the genesis)."""
    with db.read() as session:
        row = session.execute(
            sa.select(LogArchive.last_sequence, LogArchive.last_hash)
            .order_by(LogArchive.last_sequence.desc())
            .limit(1)
        ).first()
    return ChainTip(row.last_sequence, row.last_hash) if row else GENESIS


def _archive_cut(db: Database, older_than: datetime) -> int | None:
    """The end of the newest seal whose head record is older than `older_than`: archives end on a seal,
    so each archive verifies on its own."""
    with db.read() as session:
        return session.scalar(
            sa.select(sa.func.max(LogSeal.last_sequence))
            .join(LogRecord, LogRecord.sequence == LogSeal.last_sequence)
            .where(LogRecord.request_time < _aware(older_than))
        )


def archive(db: Database, directory: Path, *, older_than: datetime) -> ArchiveResult | None:
    """Move sealed records older than `older_than` (with their seals and bodies) to a gzip JSON-lines
    file in `directory`, then delete them from the database. None when there is nothing to move.

    The file is written and synced before anything is deleted; its SHA-256 and the range it holds
    stay in the database (`LogArchive`), and `verify` starts after it.
    """
    anchor = archive_anchor(db)
    cut = _archive_cut(db, older_than)
    if cut is None or cut <= anchor.sequence:
        return None
    directory.mkdir(parents=True, exist_ok=True)
    name = f"messagelog-{anchor.sequence + 1:012d}-{cut:012d}.jsonl.gz"
    final, temporary = directory / name, directory / f".{name}.tmp"
    count = 0
    with temporary.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        header = {
            "format": ARCHIVE_FORMAT,
            "version": 1,
            "anchor": {"sequence": anchor.sequence, "hash": anchor.hash},
            "first_sequence": anchor.sequence + 1,
            "last_sequence": cut,
        }
        out.write(orjson.dumps(header) + b"\n")
        for entry in iter_entries(db, after=anchor.sequence):
            if entry.sequence > cut:
                break
            out.write(orjson.dumps({"record": entry.to_dict()}) + b"\n")
            count += 1
        for seal in iter_seals(db):
            if anchor.sequence < seal.last_sequence <= cut:
                out.write(orjson.dumps({"seal": _seal_dict(seal)}) + b"\n")
        with db.read() as session:
            for body in session.scalars(
                sa.select(LogBody).where(LogBody.sequence > anchor.sequence, LogBody.sequence <= cut)
            ):
                out.write(orjson.dumps({"bodies": _bodies_dict(body)}) + b"\n")
    with temporary.open("rb") as fh:
        os.fsync(fh.fileno())
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    os.replace(temporary, final)
    directory_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(directory_fd)  # the rename itself is durable before the records are deleted
    finally:
        os.close(directory_fd)
    with db.read() as session:
        last_hash = session.scalar(sa.select(LogRecord.hash).where(LogRecord.sequence == cut))
    assert last_hash is not None
    with db.transaction() as session:
        session.add(
            LogArchive(
                first_sequence=anchor.sequence + 1,
                last_sequence=cut,
                last_hash=last_hash,
                records=count,
                file_name=name,
                sha256=digest,
            )
        )
        session.execute(sa.delete(LogBody).where(LogBody.sequence <= cut))
        session.execute(sa.delete(LogRecord).where(LogRecord.sequence <= cut))
        session.execute(sa.delete(LogSeal).where(LogSeal.last_sequence <= cut))
    return ArchiveResult(final, anchor.sequence + 1, cut, count, digest)


def _seal_dict(seal: ChainSeal) -> dict[str, Any]:
    return {
        "first_sequence": seal.first_sequence,
        "last_sequence": seal.last_sequence,
        "head_hash": seal.head_hash,
        "signature": base64.b64encode(seal.signature).decode(),
        "certificate": base64.b64encode(seal.certificate).decode(),
        "timestamp": base64.b64encode(seal.timestamp).decode(),
        "version": seal.version,
    }


def _bodies_dict(body: LogBody) -> dict[str, Any]:
    return {
        "sequence": body.sequence,
        "request_body": base64.b64encode(bytes(body.request_body)).decode(),
        "response_body": base64.b64encode(bytes(body.response_body)).decode(),
        "request_content_type": body.request_content_type,
        "response_content_type": body.response_content_type,
    }


def verify_archive(path: Path, trusted_check: TrustCheck | None) -> VerificationReport:
    """Check an archive file on its own: its chain from its anchor, and its seals."""
    with gzip.open(path, "rb") as fh:
        header = orjson.loads(fh.readline())
        if header.get("format") != ARCHIVE_FORMAT:
            raise ValueError(f"{path} is not a message log archive")
        anchor = ChainTip(header["anchor"]["sequence"], header["anchor"]["hash"])
        entries: list[MessageLogEntry] = []
        seals: list[ChainSeal] = []
        for line in fh:
            item = orjson.loads(line)
            if "record" in item:
                entries.append(MessageLogEntry.from_dict(item["record"]))
            elif "seal" in item:
                s = item["seal"]
                seals.append(
                    ChainSeal(
                        first_sequence=s["first_sequence"],
                        last_sequence=s["last_sequence"],
                        head_hash=s["head_hash"],
                        signature=base64.b64decode(s["signature"]),
                        certificate=base64.b64decode(s["certificate"]),
                        timestamp=base64.b64decode(s["timestamp"]),
                        version=s["version"],
                    )
                )
    return verify_log(entries, seals, trusted_check=trusted_check, anchor=anchor)


def archived_files(db: Database) -> dict[str, str]:
    """The archive files written so far and the SHA-256 each had when it was written."""
    with db.read() as session:
        rows = session.execute(sa.select(LogArchive.file_name, LogArchive.sha256)).all()
        return {name: digest for name, digest in rows}
