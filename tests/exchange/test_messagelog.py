"""The message log core: hash chain, seals, streaming verification, group-committed writer."""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, replace
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from cryptography import x509

from vnegov.exchange.messagelog import (
    GENESIS_HASH,
    ChainSeal,
    GroupCommitLog,
    LogClosed,
    LogOverloaded,
    LogWriteFailed,
    MessageLogEntry,
    ProblemCode,
    SealError,
    Severity,
    VerificationReport,
    body_hash,
    chain,
    issued_by,
    next_entry,
    pinned,
    seal_batch,
    verify_log,
    verify_seal,
)
from vnegov.exchange.messagelog.records import (
    RECORD_FIELDS,
    ChainTip,
    LinkedRecord,
    link_record,
    micros,
    rfc3339,
)
from vnegov.signing.crypto import (
    TIME_STAMPING,
    CertificateAuthority,
    FileSigner,
    TimeStampAuthority,
    create_root_ca,
    issue_with_new_key,
    respond_timestamp,
    subject_name,
    timestamp_request,
)

T0 = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)


def fields(i: int) -> dict[str, Any]:
    request = f'{{"cccd":"0010{i:08d}"}}'.encode()
    response = b'{"valid":true}'
    return {
        "message_id": f"G12-DVC-{i:08d}",
        "query_id": f"q-{i}",
        "client": "VN/GOV/G12/DVC",
        "service": "VN/GOV/G01/DANCU/verify/v1",
        "user_id": "VN0010" + str(i % 97),
        "issue": "Hồ sơ 000.00.12.H29-250301-0001",
        "request_time": T0 + timedelta(milliseconds=i),
        "response_time": T0 + timedelta(milliseconds=i, microseconds=750),
        "request_hash": body_hash(request),
        "response_hash": body_hash(response),
        "status": 200,
        "request_size": len(request),
        "response_size": len(response),
        "gateway_id": "VN/GOV/G12/GW1",
    }


def make_log(n: int) -> list[MessageLogEntry]:
    return chain(MessageLogEntry(sequence=i, **fields(i)) for i in range(1, n + 1))


def codes_at(report: VerificationReport, sequence: int) -> set[ProblemCode]:
    return {p.code for p in report.problems if p.sequence == sequence}


def errors(report: VerificationReport) -> list[tuple[ProblemCode, int]]:
    return [(p.code, p.sequence) for p in report.errors]


# ----------------------------------------------------------------------------- signing fixtures


@dataclass(frozen=True)
class Sealing:
    signer: FileSigner
    certificate: x509.Certificate
    tsa: TimeStampAuthority
    ca_certificate: x509.Certificate

    def stamp(self, digest: bytes) -> bytes:
        return respond_timestamp(timestamp_request(digest), self.tsa)

    def seal(self, entries: list[MessageLogEntry], every: int) -> list[ChainSeal]:
        return [
            seal_batch(entries[i : i + every], self.signer, self.certificate, self.stamp)
            for i in range(0, len(entries), every)
            if len(entries[i : i + every]) == every
        ]

    def trust(self) -> Callable[[x509.Certificate, Any], bool]:
        return pinned(seal=[self.certificate], tsa=[self.tsa.certificate])


def _sealing(name: str) -> Sealing:
    ca_signer = FileSigner.generate()
    ca_cert = create_root_ca(subject_name(f"{name} Test CA", organization="vnegov"), ca_signer)
    tsa_signer, tsa_cert = issue_with_new_key(
        CertificateAuthority(ca_cert, ca_signer), subject_name(f"{name} TSA"), TIME_STAMPING
    )
    tsa = TimeStampAuthority(tsa_cert, tsa_signer, itertools.count(1).__next__)
    signer = FileSigner.generate()
    certificate = create_root_ca(subject_name(f"{name} NDXP gateway G12", organization="vnegov"), signer)
    return Sealing(signer, certificate, tsa, ca_cert)


@pytest.fixture(scope="module")
def sealing() -> Sealing:
    return _sealing("vnegov")


@pytest.fixture(scope="module")
def intruder() -> Sealing:
    return _sealing("Intruder")


@pytest.fixture(scope="module")
def sealed_log(sealing: Sealing) -> tuple[list[MessageLogEntry], list[ChainSeal]]:
    entries = make_log(10_000)
    return entries, sealing.seal(entries, 1000)


# ----------------------------------------------------------------------------- records


def test_canonical_encoding_is_pinned() -> None:
    entry = next_entry(None, **fields(1))
    expected = (
        '{"client":"VN/GOV/G12/DVC","gateway_id":"VN/GOV/G12/GW1",'
        '"issue":"Hồ sơ 000.00.12.H29-250301-0001","message_id":"G12-DVC-00000001",'
        f'"previous_hash":"{GENESIS_HASH}","query_id":"q-1",'
        '"request_hash":"a26ea90d0173be97a53dc736c2a511c37cab5734464379efa6ceea7bd6ab1147",'
        '"request_size":23,'
        '"request_time":"2025-03-01T08:30:00.001000Z",'
        '"response_hash":"8daf09a6fc31937457dd77e9c25ce4b21349d605b561a8c5d557841bf964c9a0",'
        '"response_size":14,'
        '"response_time":"2025-03-01T08:30:00.001750Z","seq":1,'
        '"service":"VN/GOV/G01/DANCU/verify/v1","status":200,"user_id":"VN00101","v":1}'
    ).encode()
    assert entry.canonical_bytes() == expected
    assert entry.sequence == 1 and entry.previous_hash == GENESIS_HASH == "00" * 32
    assert entry.hash == hashlib.sha256(bytes(32) + expected).hexdigest()
    assert entry.hash == "e63f5434b6ed91ab189cb2e179fa1cf98a92df4eb8b64db0f74690b17755a9cf"
    assert "hash" not in entry.canonical_bytes().decode().replace("_hash", "")


def test_canonical_encoding_is_sorted_compact_json() -> None:
    tricky = 'Nguyễn Văn "A" \\ \n\t\x00\x7f\u2028 😀 </script>'
    entry = next_entry(None, **{**fields(7), "user_id": tricky, "issue": tricky, "query_id": ""})
    reference = {k: v for k, v in entry.to_dict().items() if k not in ("hash", "sequence", "version")}
    reference |= {"seq": entry.sequence, "v": 1}
    assert entry.canonical_bytes() == json.dumps(
        reference, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")
    assert json.loads(entry.canonical_bytes())["user_id"] == tricky


def test_entries_link_and_times_are_normalised_to_utc() -> None:
    first = next_entry(None, **fields(1))
    hanoi = timezone(timedelta(hours=7))
    local = {**fields(2), "request_time": fields(2)["request_time"].astimezone(hanoi)}
    second = next_entry(first, **local)
    assert (second.sequence, second.previous_hash) == (2, first.hash)
    assert second.request_time.tzinfo is UTC
    assert second == next_entry(first, **fields(2))
    assert make_log(2) == [first, second]
    assert MessageLogEntry.from_dict(second.to_dict()) == second
    with pytest.raises(ValueError, match="timezone-aware"):
        next_entry(None, **{**fields(1), "request_time": datetime(2025, 1, 1)})
    with pytest.raises(ValueError, match="SHA-256"):
        next_entry(None, **{**fields(1), "request_hash": "abc"})
    with pytest.raises(TypeError, match="sequence"):
        next_entry(first, sequence=7, **fields(2))
    with pytest.raises(ValueError, match="does not follow"):
        chain([MessageLogEntry(sequence=1, **fields(1)), MessageLogEntry(sequence=3, **fields(3))])


def _values(f: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(micros(f[n]) if n.endswith("_time") else f[n] for n in RECORD_FIELDS)


@pytest.mark.parametrize(
    "moment",
    [
        T0,
        datetime(1, 1, 1, tzinfo=UTC),  # the first and last times a datetime holds
        datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),  # before the epoch: negative
        datetime(2026, 12, 6, 22, 0, 0, 5, tzinfo=timezone(timedelta(hours=7))),
    ],
)
def test_a_linked_record_is_the_entry_next_entry_makes(moment: datetime) -> None:
    """The writers' hot path (`link_record`: values, times in microseconds) and `next_entry` give
    the same record, hash and canonical bytes: one is what gateways store, the other what
    verification reads back."""
    tricky = 'Nguyễn Văn "A" \\ \n\t\x00\x7f\u2028 😀 </script>'
    previous = next_entry(None, **fields(1))
    for f in (
        {**fields(2), "request_time": moment, "response_time": moment + timedelta(microseconds=0)},
        {**fields(3), "user_id": tricky, "issue": tricky, "query_id": ""},
        {**fields(4), "status": 0, "request_size": 0, "response_size": 10**12},
    ):
        entry = next_entry(previous, **f)
        linked = link_record(previous.tip, _values(f))
        assert isinstance(linked, LinkedRecord)
        assert linked.entry() == entry
        assert (linked.sequence, linked.previous_hash, linked.hash) == (2, previous.hash, entry.hash)
        assert linked.tip == entry.tip
        assert linked.request_time == micros(entry.request_time)
    assert rfc3339(moment) == moment.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"
    assert LinkedRecord._fields == tuple(f.name for f in dataclass_fields(MessageLogEntry))


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"request_hash": "abc"}, ValueError, "request_hash must be a lowercase SHA-256"),
        ({"response_hash": "A" * 64}, ValueError, "response_hash must be a lowercase SHA-256"),
        ({"response_hash": None}, ValueError, "response_hash must be a lowercase SHA-256"),
        ({"status": -1}, ValueError, "status must be a non-negative integer"),
        ({"request_size": True}, ValueError, "request_size must be a non-negative integer"),
        ({"response_size": 1.0}, ValueError, "response_size must be a non-negative integer"),
        ({"request_time": 10**20}, ValueError, "request_time must be a time in microseconds"),
        ({"response_time": "2025-01-01"}, ValueError, "response_time must be a time in microseconds"),
        ({"client": 7}, TypeError, "string"),
    ],
)
def test_link_record_refuses_what_an_entry_refuses(change: dict[str, Any], error: type, match: str) -> None:
    f = {**fields(1), "request_time": micros(T0), "response_time": micros(T0)} | change
    values = tuple(f[n] for n in RECORD_FIELDS)
    with pytest.raises(error, match=match):
        link_record(ChainTip(), values)
    with pytest.raises(TypeError, match="14 values"):
        link_record(ChainTip(), values[:-1])
    with pytest.raises(ValueError, match="no hash"):
        link_record(ChainTip(3, ""), _values(fields(1)))
    with pytest.raises(ValueError, match="previous_hash"):
        link_record(ChainTip(3, "F" * 64), _values(fields(1)))


# ----------------------------------------------------------------------------- verification


def test_chain_seal_and_verify_10000_entries(sealing: Sealing) -> None:
    entries = make_log(10_000)
    seals = sealing.seal(entries, 1000)
    report = verify_log(iter(entries), iter(seals), trusted_check=sealing.trust())
    assert report.ok, report.lines()
    assert report.problems == ()
    assert (report.entries, report.first_sequence, report.last_sequence) == (10_000, 1, 10_000)
    assert (report.seals, report.sealed_through) == (10, 10_000)


def test_verification_streams_in_constant_memory() -> None:
    def peak(n: int) -> int:
        def stream() -> Iterator[MessageLogEntry]:
            entry = None
            for i in range(1, n + 1):
                entry = next_entry(entry, **fields(i))
                yield entry

        tracemalloc.start()
        try:
            assert verify_log(stream(), window=64).last_sequence == n
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(500), peak(2500)
    assert large < small * 1.3, f"peak memory grew from {small} to {large} bytes for 5x the entries"


def test_an_edited_record_is_named(sealed_log: tuple[list[MessageLogEntry], list[ChainSeal]]) -> None:
    entries, seals = sealed_log
    edited = list(entries)
    edited[4321] = replace(entries[4321], status=500)  # sequence 4322, hash left as it was
    report = verify_log(edited, seals)
    assert not report.ok
    assert errors(report) == [(ProblemCode.EDITED, 4322)]
    assert "4322" in report.errors[0].message and "bị sửa" in report.errors[0].message_vi


def test_a_rehashed_edit_breaks_the_link_and_the_sealed_head(
    sealed_log: tuple[list[MessageLogEntry], list[ChainSeal]], sealing: Sealing
) -> None:
    entries, seals = sealed_log
    forged = list(entries)
    forged[4321] = chain([replace(entries[4321], user_id="someone else")], entries[4320].hash)[0]
    assert verify_log(forged, seals).errors[0].code is ProblemCode.BROKEN_LINK
    # Re-chaining the whole tail hides the edit from the links but not from the seals.
    forged[4321:] = chain(forged[4321:], entries[4320].hash)
    report = verify_log(forged, seals, trusted_check=sealing.trust())
    assert errors(report) == [(ProblemCode.SEAL_HEAD_MISMATCH, s) for s in range(5000, 10_001, 1000)]
    assert report.sealed_through == 4000


def test_a_deleted_record_leaves_a_gap(sealed_log: tuple[list[MessageLogEntry], list[ChainSeal]]) -> None:
    entries, seals = sealed_log
    report = verify_log(entries[:5000] + entries[5001:], seals)
    assert errors(report) == [(ProblemCode.DELETED, 5001)]
    assert report.errors[0].until_sequence == 5001
    report = verify_log(entries[:100] + entries[110:], seals)
    assert errors(report) == [(ProblemCode.DELETED, 101)]
    assert "101–110" in report.errors[0].message
    # renumbering and re-chaining everything after a deleted record is caught by the seals
    renumbered = chain([replace(e, sequence=e.sequence - 1) for e in entries[101:]], entries[99].hash)
    report = verify_log(entries[:100] + renumbered, seals)
    assert errors(report) == [
        *((ProblemCode.SEAL_HEAD_MISMATCH, s) for s in range(1000, 10_000, 1000)),
        (ProblemCode.SEAL_RECORD_MISSING, 10_000),
    ]


def test_deleting_the_sealed_tail_is_reported(
    sealed_log: tuple[list[MessageLogEntry], list[ChainSeal]],
) -> None:
    entries, seals = sealed_log
    report = verify_log(entries[:9500], seals)
    assert errors(report) == [(ProblemCode.SEAL_RECORD_MISSING, 10_000)]
    assert report.sealed_through == 9000
    report = verify_log(entries[1:], seals)
    assert errors(report) == [(ProblemCode.DELETED, 1)]


def test_swapped_records_are_reported_as_reordered(
    sealed_log: tuple[list[MessageLogEntry], list[ChainSeal]],
) -> None:
    entries, seals = sealed_log
    swapped = list(entries)
    swapped[100], swapped[101] = swapped[101], swapped[100]  # sequence 102 now comes before 101
    report = verify_log(swapped, seals)
    assert errors(report) == [(ProblemCode.REORDERED, 101), (ProblemCode.REORDERED, 102)]
    assert "comes after record 102" in report.errors[0].message
    far = list(entries)
    far[10], far[5000] = far[5000], far[10]  # further apart than the verifier's window
    report = verify_log(far, seals)
    assert errors(report) == [(ProblemCode.REORDERED, 11), (ProblemCode.REORDERED, 5001)]
    # swapped contents under the original sequence numbers, each re-hashed: the links cross
    crossed = list(entries)
    crossed[100] = chain([replace(entries[101], sequence=101)], entries[101].previous_hash)[0]
    crossed[101] = chain([replace(entries[100], sequence=102)], entries[100].previous_hash)[0]
    report = verify_log(crossed, ())
    assert ProblemCode.REORDERED in codes_at(report, 102)
    assert not report.ok


def test_duplicates_are_reported() -> None:
    entries = make_log(50)
    report = verify_log([*entries[:30], entries[10], *entries[30:]])
    assert errors(report) == [(ProblemCode.DUPLICATE, 11)]


def test_a_tampered_seal_head_is_reported(
    sealed_log: tuple[list[MessageLogEntry], list[ChainSeal]], sealing: Sealing
) -> None:
    entries, seals = sealed_log
    tampered = list(seals)
    tampered[2] = replace(seals[2], head_hash=entries[2998].hash)  # seal of 3000 now names 2999's hash
    report = verify_log(entries, tampered, trusted_check=sealing.trust())
    assert codes_at(report, 3000) == {
        ProblemCode.SEAL_SIGNATURE,
        ProblemCode.SEAL_TIMESTAMP,
        ProblemCode.SEAL_HEAD_MISMATCH,
    }
    assert {s for _, s in errors(report)} == {3000}
    with pytest.raises(SealError) as raised:
        verify_seal(tampered[2], entries[2999], sealing.trust())
    assert ProblemCode.SEAL_HEAD_MISMATCH in {p.code for p in raised.value.problems}


def test_a_seal_signed_by_another_key_is_reported(
    sealed_log: tuple[list[MessageLogEntry], list[ChainSeal]], sealing: Sealing, intruder: Sealing
) -> None:
    entries, seals = sealed_log
    resigned = list(seals)
    resigned[4] = replace(seals[4], signature=intruder.signer.sign(seals[4].statement()))
    report = verify_log(entries, resigned, trusted_check=sealing.trust())
    assert errors(report) == [(ProblemCode.SEAL_SIGNATURE, 5000)]
    assert report.sealed_through == 10_000  # later good seals still cover the chain
    # A whole new seal by the intruder's own key and TSA is consistent, but not trusted.
    forged = [*seals[:9], seal_batch(entries[9000:], intruder.signer, intruder.certificate, intruder.stamp)]
    report = verify_log(entries, forged, trusted_check=sealing.trust())
    assert errors(report) == [(ProblemCode.SEAL_UNTRUSTED, 10_000)] * 2  # signer and TSA
    assert report.sealed_through == 9000
    report = verify_log(entries, forged, trusted_check=issued_by(sealing.certificate, sealing.ca_certificate))
    assert errors(report) == [(ProblemCode.SEAL_UNTRUSTED, 10_000)] * 2
    with pytest.raises(SealError):
        verify_seal(forged[9], entries[-1], sealing.trust())


def test_a_seal_with_a_foreign_time_stamp_is_reported(
    sealed_log: tuple[list[MessageLogEntry], list[ChainSeal]], sealing: Sealing
) -> None:
    entries, seals = sealed_log
    bad = list(seals)
    bad[0] = replace(seals[0], timestamp=seals[1].timestamp)
    report = verify_log(entries, bad, trusted_check=sealing.trust())
    assert errors(report) == [(ProblemCode.SEAL_TIMESTAMP, 1000)]
    assert "imprint" in report.errors[0].message


def test_verify_seal_returns_the_time_stamp(
    sealed_log: tuple[list[MessageLogEntry], list[ChainSeal]], sealing: Sealing
) -> None:
    entries, seals = sealed_log
    token = verify_seal(seals[0], entries[999], sealing.trust())
    assert token.hashed_message == hashlib.sha256(seals[0].statement()).digest()
    assert abs(token.gen_time - datetime.now(UTC)) < timedelta(minutes=5)
    assert seals[0].statement().startswith(b'{"first_seq":1,"head_hash":"')
    assert verify_seal(seals[0], entries[999], issued_by(sealing.certificate, sealing.ca_certificate))


def test_sealing_refuses_a_broken_batch_or_a_failing_tsa(sealing: Sealing) -> None:
    entries = make_log(5)
    with pytest.raises(ValueError, match="does not follow"):
        seal_batch([entries[0], entries[2]], sealing.signer, sealing.certificate, sealing.stamp)
    with pytest.raises(ValueError, match="signer"):
        seal_batch(entries, FileSigner.generate(), sealing.certificate, sealing.stamp)

    def down(_digest: bytes) -> bytes:
        raise ConnectionError("TSA unreachable")

    with pytest.raises(SealError, match="TSA unreachable"):
        seal_batch(entries, sealing.signer, sealing.certificate, down)
    with pytest.raises(SealError, match="message imprint"):
        seal_batch(entries, sealing.signer, sealing.certificate, lambda d: sealing.stamp(bytes(32)))


def test_records_after_the_last_seal_are_a_warning(sealing: Sealing) -> None:
    entries = make_log(2500)
    report = verify_log(entries, sealing.seal(entries, 1000), trusted_check=sealing.trust())
    assert report.ok
    [warning] = report.problems
    assert (warning.code, warning.severity, warning.sequence, warning.until_sequence) == (
        ProblemCode.NOT_SEALED,
        Severity.WARNING,
        2001,
        2500,
    )
    assert "chưa được niêm phong" in warning.message_vi
    untrusted = verify_log(entries, sealing.seal(entries, 1000))
    assert untrusted.ok and ProblemCode.TRUST_NOT_CHECKED in {p.code for p in untrusted.warnings}


# ----------------------------------------------------------------------------- writer


class MemoryStore:
    """An in-memory `persist` that keeps batches, with an optional commit delay."""

    def __init__(self, delay: float = 0.0) -> None:
        self.batches: list[list[MessageLogEntry]] = []
        self.delay = delay

    def __call__(self, batch: list[MessageLogEntry]) -> None:
        if self.delay:
            time.sleep(self.delay)
        self.batches.append(list(batch))

    @property
    def entries(self) -> list[MessageLogEntry]:
        return [e for batch in self.batches for e in batch]


def test_writer_group_commits_from_eight_threads() -> None:
    store = MemoryStore(delay=0.0005)  # a commit costs a little, as a database's does
    log = GroupCommitLog(store, max_queue=1000)
    futures: list[list[Future[MessageLogEntry]]] = [[] for _ in range(8)]

    def client(k: int) -> None:
        for j in range(625):
            futures[k].append(log.append(**fields(k * 1000 + j)))

    threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results = [f.result(timeout=10) for fs in futures for f in fs]
    log.close()
    persisted = store.entries
    assert len(persisted) == 5000
    assert sorted(e.sequence for e in results) == list(range(1, 5001))
    assert {e.hash for e in results} == {e.hash for e in persisted}
    report = verify_log(persisted)
    assert report.ok and report.last_sequence == 5000
    stats = log.stats
    assert stats.entries == 5000 and stats.failed_batches == 0
    assert stats.batches == len(store.batches) < 5000  # group commit happened
    assert stats.mean_batch_size > 1
    assert log.tip == persisted[-1].tip


def test_append_resolves_only_after_persist_returns() -> None:
    entered, release = threading.Event(), threading.Event()
    store = MemoryStore()

    def slow(batch: list[MessageLogEntry]) -> None:
        entered.set()
        release.wait(5)
        store(batch)

    with GroupCommitLog(slow) as log:
        future = log.append(**fields(1))
        assert entered.wait(5)
        time.sleep(0.05)
        assert not future.done() and store.batches == []
        release.set()
        assert future.result(timeout=5) == store.entries[0]


def test_a_failed_persist_fails_its_batch_and_the_tip_stays() -> None:
    store = MemoryStore()
    calls: list[list[MessageLogEntry]] = []
    entered, release = threading.Event(), threading.Event()

    def persist(batch: list[MessageLogEntry]) -> None:
        calls.append(list(batch))
        if len(calls) == 1:
            entered.set()
            release.wait(5)
        if len(calls) == 2:
            raise OSError("disk full")
        store(batch)

    log = GroupCommitLog(persist)
    first = log.append(**fields(1))
    assert entered.wait(5)  # the writer is inside the first commit: the next three queue up together
    failing = [log.append(**fields(i)) for i in (2, 3, 4)]
    release.set()
    a = first.result(timeout=5)
    for future in failing:
        with pytest.raises(LogWriteFailed, match="disk full") as raised:
            future.result(timeout=5)
        assert isinstance(raised.value.__cause__, OSError)
    assert [e.sequence for e in calls[1]] == [2, 3, 4]
    assert log.tip == a.tip and log.stats.failed_entries == 3
    c = log.append(**fields(5)).result(timeout=5)
    log.close()
    assert (c.sequence, c.previous_hash) == (2, a.hash)
    assert store.entries == [a, c]
    report = verify_log(store.entries)
    assert report.ok and report.errors == () and report.last_sequence == 2


def test_back_pressure_bad_fields_and_close() -> None:
    entered, release = threading.Event(), threading.Event()
    store = MemoryStore()

    def blocked(batch: list[MessageLogEntry]) -> None:
        entered.set()
        release.wait(5)
        store(batch)

    log = GroupCommitLog(blocked, max_queue=1)
    first = log.append(**fields(1))
    assert entered.wait(5)  # the writer holds the first record inside persist
    second = log.append(**fields(2))  # fills the queue
    with pytest.raises(LogOverloaded):
        log.append(timeout=0.05, **fields(3))
    release.set()
    bad = log.append(**{**fields(3), "status": "200"})
    queued = [log.append(**fields(i)) for i in range(4, 50)]
    log.close()  # flushes what was queued
    with pytest.raises(ValueError, match="status"):
        bad.result(timeout=1)
    assert [f.result(timeout=0).sequence for f in (first, second, *queued)] == list(range(1, 49))
    assert verify_log(store.entries).ok
    with pytest.raises(LogClosed):
        log.append(**fields(99))
