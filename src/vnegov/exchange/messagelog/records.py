"""Message log records (bản ghi nhật ký thông điệp) and their hash chain (chuỗi băm).

One `MessageLogEntry` per call through a gateway: ids, parties, user, issue, times, SHA-256 of the
request and response bodies, status and sizes. Entries are numbered from 1 and chained::

    hash = SHA-256(bytes.fromhex(previous_hash) || canonical_bytes(entry))

where `previous_hash` is the previous entry's `hash` (32 zero bytes for entry 1, `GENESIS_HASH`) and
`canonical_bytes` is the encoding below (format version 1). Editing any field of an entry changes its
hash; deleting or reordering entries breaks the links; recomputing the whole tail is caught by the signed
and time-stamped chain heads (`seal`).

Canonical encoding, version 1: UTF-8 JSON of every field except `hash`, keys sorted, no whitespace
(separators "," and ":"), non-ASCII characters as themselves (not \\u escapes), integers in decimal,
times as RFC 3339 UTC with exactly six fraction digits and "Z" (``2025-01-02T03:04:05.000006Z``),
hashes as lowercase hex. With only strings and integers this is the same as RFC 8785 (JCS), so other
languages can re-create it. Keys: ``client gateway_id issue message_id previous_hash query_id
request_hash request_size request_time response_hash response_size response_time seq service status
user_id v``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

FORMAT_VERSION = 1
"""The version of the canonical encoding new entries use (stored in each entry as `version`)."""

GENESIS_HASH = "00" * 32
"""The `previous_hash` of entry 1: 32 zero bytes, hex."""

HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
"""A lowercase SHA-256 hex digest."""
_CHAIN_FIELDS = ("sequence", "previous_hash", "hash")
_CHAIN_SET = frozenset(_CHAIN_FIELDS)
_json_string: Callable[[str], str] = json.encoder.encode_basestring

RECORD_FIELDS = (
    "message_id",
    "query_id",
    "client",
    "service",
    "user_id",
    "issue",
    "request_time",
    "response_time",
    "request_hash",
    "response_hash",
    "status",
    "request_size",
    "response_size",
    "gateway_id",
)
"""What a call gives its record, in this order (`link_record`): the entry's fields without the chain's
(`sequence`, `previous_hash`, `hash`) and the format's (`version`)."""

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
_EARLIEST = (datetime.min.replace(tzinfo=UTC) - EPOCH) // MICROSECOND
_LATEST = (datetime.max.replace(tzinfo=UTC) - EPOCH) // MICROSECOND


@dataclass(frozen=True, slots=True)
class ChainTip:
    """Where the chain ends: the last entry's sequence number and hash (0 and `GENESIS_HASH` if empty)."""

    sequence: int = 0
    hash: str = GENESIS_HASH


GENESIS = ChainTip()


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageLogEntry:
    """One call through a gateway, as logged before its answer goes back (bản ghi nhật ký thông điệp).

    `client` is the client subsystem ("VN/GOV/G12/DVC"), `service` the service called
    ("VN/GOV/G01/DANCU/verify/v1"). `request_hash`/`response_hash` are SHA-256 hex of the bodies
    (`body_hash`). Times must be timezone-aware; they are kept in UTC. `previous_hash` and `hash` are
    empty until the entry is chained (`chain`, `next_entry`).
    """

    sequence: int
    message_id: str
    query_id: str = ""
    client: str
    service: str
    user_id: str = ""
    issue: str = ""
    request_time: datetime
    response_time: datetime
    request_hash: str
    response_hash: str
    status: int
    request_size: int
    response_size: int
    gateway_id: str
    previous_hash: str = ""
    hash: str = ""
    version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        if self.version != FORMAT_VERSION:
            raise ValueError(f"unknown message log format version {self.version}")
        for name in ("sequence", "status", "request_size", "response_size"):
            value = getattr(self, name)
            if type(value) is not int or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, not {value!r}")
        if self.sequence < 1:
            raise ValueError("sequence numbers start at 1")
        for name in ("request_time", "response_time"):
            value = getattr(self, name)
            if not isinstance(value, datetime) or value.utcoffset() is None:
                raise ValueError(f"{name} must be a timezone-aware datetime")
            if value.tzinfo is not UTC:
                object.__setattr__(self, name, value.astimezone(UTC))
        for name in ("request_hash", "response_hash"):
            if not HEX_DIGEST.fullmatch(getattr(self, name)):
                raise ValueError(f"{name} must be a lowercase SHA-256 hex digest")
        for name in ("previous_hash", "hash"):
            value = getattr(self, name)
            if value and not HEX_DIGEST.fullmatch(value):
                raise ValueError(f"{name} must be empty or a lowercase SHA-256 hex digest")

    def canonical_bytes(self) -> bytes:
        """The bytes the entry's hash covers (everything but `hash`; see the module docstring)."""
        return canonical_bytes(self)

    def compute_hash(self) -> str:
        """What `hash` should be: SHA-256(bytes of `previous_hash` || canonical bytes)."""
        if not self.previous_hash:
            raise ValueError("the entry is not chained: it has no previous_hash")
        return hashlib.sha256(bytes.fromhex(self.previous_hash) + canonical_bytes(self)).hexdigest()

    @property
    def tip(self) -> ChainTip:
        """This entry as the tip of a chain (for `next_entry`)."""
        return ChainTip(self.sequence, self.hash)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field (times as RFC 3339 strings), for storage and export."""
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        out["request_time"] = rfc3339(self.request_time)
        out["response_time"] = rfc3339(self.response_time)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MessageLogEntry:
        """The inverse of `to_dict` (times may be datetimes or RFC 3339 strings)."""
        values = dict(data)
        for name in ("request_time", "response_time"):
            if isinstance(values.get(name), str):
                values[name] = parse_rfc3339(values[name])
        return cls(**values)


def rfc3339(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC (always six fraction digits)."""
    return rfc3339_micros((moment - EPOCH) // MICROSECOND)


def micros(moment: datetime) -> int:
    """An aware time as integer microseconds since the epoch (how `link_record` takes times)."""
    return (moment - EPOCH) // MICROSECOND


def from_micros(value: int) -> datetime:
    """The inverse of `micros`: an aware UTC datetime."""
    return EPOCH + value * MICROSECOND


# The text of each second a log is written in, made once: the writer formats two times per record,
# and `datetime.isoformat` (sprintf underneath, keyword arguments parsed per call) was a tenth of
# its work per record.
_SECOND_TEXTS: dict[int, str] = {}


def _second_text(seconds: int) -> str:
    text = _SECOND_TEXTS.get(seconds)
    if text is None:
        if len(_SECOND_TEXTS) >= 256:
            _SECOND_TEXTS.clear()
        text = _SECOND_TEXTS[seconds] = (EPOCH + timedelta(seconds=seconds)).isoformat()[:19]
    return text


def rfc3339_micros(value: int) -> str:
    """`rfc3339` of a time given as integer microseconds since the epoch."""
    seconds, fraction = divmod(value, 1_000_000)
    return f"{_second_text(seconds)}.{str(1_000_000 + fraction)[1:]}Z"  # six digits, no format spec


def parse_rfc3339(text: str) -> datetime:
    """Parse an RFC 3339 time with an offset or "Z" into an aware UTC datetime."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.utcoffset() is None:
        raise ValueError(f"time without offset: {text!r}")
    return moment.astimezone(UTC)


def body_hash(body: bytes) -> str:
    """SHA-256 hex of a request or response body, as entries store it."""
    return hashlib.sha256(body).hexdigest()


def canonical_bytes(entry: MessageLogEntry) -> bytes:
    """The versioned canonical encoding of an entry without its `hash` (see the module docstring).

    Written out field by field in sorted key order (twice as fast as `json.dumps(..., sort_keys=True)`,
    which the tests check it equals); strings are escaped by `json`'s own encoder.
    """
    if entry.version != 1:  # pragma: no cover - __post_init__ refuses other versions
        raise ValueError(f"unknown message log format version {entry.version}")
    return _encoded(entry, rfc3339)


def _encoded(e: MessageLogEntry | LinkedRecord, time_text: Callable[[Any], str]) -> bytes:
    """Format version 1 of an entry or a linked record (`time_text` writes their kind of time)."""
    q = _json_string
    # Integers as `{n}`, not `{n:d}`: the same digits for the exact ints both paths' checks let
    # through, without parsing a format spec per field (a twentieth of a writer's work per record).
    return (
        f'{{"client":{q(e.client)},"gateway_id":{q(e.gateway_id)},"issue":{q(e.issue)},'
        f'"message_id":{q(e.message_id)},"previous_hash":{q(e.previous_hash)},"query_id":{q(e.query_id)},'
        f'"request_hash":{q(e.request_hash)},"request_size":{e.request_size},'
        f'"request_time":"{time_text(e.request_time)}","response_hash":{q(e.response_hash)},'
        f'"response_size":{e.response_size},"response_time":"{time_text(e.response_time)}",'
        f'"seq":{e.sequence},"service":{q(e.service)},"status":{e.status},'
        f'"user_id":{q(e.user_id)},"v":1}}'
    ).encode()


def link(entry: MessageLogEntry, previous_hash: str) -> MessageLogEntry:
    """The entry with `previous_hash` set and its `hash` computed."""
    if not HEX_DIGEST.fullmatch(previous_hash):
        raise ValueError("previous_hash must be a lowercase SHA-256 hex digest")
    linked = replace(entry, previous_hash=previous_hash, hash="")
    digest = hashlib.sha256(bytes.fromhex(previous_hash) + canonical_bytes(linked)).hexdigest()
    object.__setattr__(linked, "hash", digest)
    return linked


def chain(entries: Iterable[MessageLogEntry], previous_hash: str = GENESIS_HASH) -> list[MessageLogEntry]:
    """Link entries (their `previous_hash`/`hash` are ignored and recomputed) after `previous_hash`.

    Sequence numbers must be consecutive; `ValueError` otherwise.
    """
    out: list[MessageLogEntry] = []
    prev_hash = previous_hash
    for entry in entries:
        if out and entry.sequence != out[-1].sequence + 1:
            raise ValueError(f"sequence {entry.sequence} does not follow {out[-1].sequence}")
        linked = link(entry, prev_hash)
        out.append(linked)
        prev_hash = linked.hash
    return out


def next_entry(previous: MessageLogEntry | ChainTip | None, **entry_fields: Any) -> MessageLogEntry:
    """A new entry after `previous` (None: the first entry), numbered and hashed.

    `entry_fields` are the entry's fields other than `sequence`, `previous_hash` and `hash`.
    """
    if not _CHAIN_SET.isdisjoint(entry_fields):  # per record: no sets built on the happy path
        given = sorted(_CHAIN_SET.intersection(entry_fields))
        raise TypeError(f"next_entry sets {', '.join(given)} itself")
    tip = GENESIS if previous is None else previous if isinstance(previous, ChainTip) else previous.tip
    if not tip.hash:
        raise ValueError("the previous entry has no hash: chain it first")
    entry = MessageLogEntry(sequence=tip.sequence + 1, previous_hash=tip.hash, **entry_fields)
    object.__setattr__(entry, "hash", entry.compute_hash())
    return entry


class LinkedRecord(NamedTuple):
    """A record chained by `link_record`: a `MessageLogEntry`'s fields in the same order (that of the
    log table's columns), its times as integer microseconds since the epoch (UTC).

    What a log writer stores; `MessageLogEntry` is what everything else reads."""

    sequence: int
    message_id: str
    query_id: str
    client: str
    service: str
    user_id: str
    issue: str
    request_time: int
    response_time: int
    request_hash: str
    response_hash: str
    status: int
    request_size: int
    response_size: int
    gateway_id: str
    previous_hash: str
    hash: str
    version: int

    @property
    def tip(self) -> ChainTip:
        return ChainTip(self.sequence, self.hash)

    def entry(self) -> MessageLogEntry:
        """The same record as a `MessageLogEntry`."""
        fields = self._asdict()
        fields["request_time"] = from_micros(self.request_time)
        fields["response_time"] = from_micros(self.response_time)
        return MessageLogEntry(**fields)


def link_record(tip: ChainTip, values: tuple[Any, ...]) -> LinkedRecord:
    """The record after `tip`, numbered and hashed: what `next_entry(tip, **fields)` makes, for a
    writer's hot path. `values` are the `RECORD_FIELDS`, times as integer microseconds since the
    epoch (`micros`). Checked as `MessageLogEntry` checks them (`ValueError`, `TypeError`)."""
    if len(values) != len(RECORD_FIELDS):
        raise TypeError(f"a record has {len(RECORD_FIELDS)} values, not {len(values)}")
    record = LinkedRecord._make((tip.sequence + 1, *values, tip.hash, "", FORMAT_VERSION))
    for name, count in (
        ("status", record.status),
        ("request_size", record.request_size),
        ("response_size", record.response_size),
    ):
        if type(count) is not int or count < 0:
            raise ValueError(f"{name} must be a non-negative integer, not {count!r}")
    for name, moment in (("request_time", record.request_time), ("response_time", record.response_time)):
        if type(moment) is not int or not _EARLIEST <= moment <= _LATEST:
            raise ValueError(f"{name} must be a time in microseconds since the epoch, not {moment!r}")
    for name, digest in (("request_hash", record.request_hash), ("response_hash", record.response_hash)):
        if type(digest) is not str or not HEX_DIGEST.fullmatch(digest):
            raise ValueError(f"{name} must be a lowercase SHA-256 hex digest")
    if not tip.hash:
        raise ValueError("the previous entry has no hash: chain it first")
    if not HEX_DIGEST.fullmatch(tip.hash):
        raise ValueError("previous_hash must be empty or a lowercase SHA-256 hex digest")
    linked = hashlib.sha256(bytes.fromhex(tip.hash) + _encoded(record, rfc3339_micros)).hexdigest()
    return record._replace(hash=linked)
