"""Verify a message log (kiểm tra nhật ký thông điệp): edited, deleted and reordered records, bad seals.

`verify_log` reads the entries once, in the order storage gives them, keeping only a bounded window of
recent (sequence, hash, previous_hash) triples, so memory does not grow with the log (the seals, the
findings and the pending gaps do). For each entry it checks:

- its hash against its content (edited, *bị sửa*);
- its sequence number against those seen (missing numbers, *bị xóa*; a number seen twice, *trùng*) and
  against its neighbours in the stream (out of order, *sai thứ tự*: neither neighbour is its sequence
  neighbour and one is on the wrong side, so a swap names the two swapped records and nothing between);
- the hash links to its neighbours in sequence, in whichever order they arrive (a link to the wrong
  record: *bị xóa/thay thế*, or *sai thứ tự* when it points at another record of the log);
- every seal at its sequence number (the sealed head hash).

Seals are checked on their own first (signature, time-stamp, trust). Records after the last good seal are
reported as not yet sealed, a warning.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from vnegov.exchange.messagelog.problems import Problem, ProblemCode, Severity
from vnegov.exchange.messagelog.records import GENESIS, ChainTip, MessageLogEntry
from vnegov.exchange.messagelog.seal import ChainSeal, TrustCheck, check_seal

DEFAULT_WINDOW = 1024
"""How many recent records the verifier remembers to check links of records that arrive out of order."""


@dataclass(frozen=True)
class VerificationReport:
    """The outcome of `verify_log` (kết quả kiểm tra nhật ký): `ok` unless some problem is an error."""

    ok: bool
    entries: int
    first_sequence: int | None
    last_sequence: int | None
    seals: int
    sealed_through: int
    """The highest sequence number covered by a seal that verified completely (0 if none)."""
    problems: tuple[Problem, ...]
    problems_omitted: int = 0
    """Findings beyond `max_problems`, counted but not listed."""

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.WARNING)

    def lines(self) -> list[str]:
        """A human-readable report, one finding a line."""
        status = "OK" if self.ok else "FAILED"
        span = f"{self.first_sequence}–{self.last_sequence}" if self.entries else "none"
        head = (
            f"message log {status}: {self.entries} records ({span}), {self.seals} seals, "
            f"sealed through {self.sealed_through}, {len(self.errors)} errors, {len(self.warnings)} warnings"
        )
        out = [head, *map(str, self.problems)]
        if self.problems_omitted:
            out.append(f"… and {self.problems_omitted} more problems")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "first_sequence": self.first_sequence,
            "last_sequence": self.last_sequence,
            "seals": self.seals,
            "sealed_through": self.sealed_through,
            "problems": [
                {
                    "code": str(p.code),
                    "severity": str(p.severity),
                    "sequence": p.sequence,
                    "until_sequence": p.until_sequence,
                    "message": p.message,
                    "message_vi": p.message_vi,
                }
                for p in self.problems
            ],
            "problems_omitted": self.problems_omitted,
        }


@dataclass
class _SealState:
    seal: ChainSeal
    valid: bool
    head_seen: bool = False
    head_ok: bool = False


@dataclass
class _Verifier:
    anchor: ChainTip
    window: int
    max_problems: int
    problems: list[Problem] = field(default_factory=list)
    omitted: int = 0
    failed: bool = False
    count: int = 0
    first: int | None = None
    last: int = 0
    before: int = 0
    pending: int | None = None
    max_seen: int = 0
    recent: OrderedDict[int, tuple[str, str]] = field(default_factory=OrderedDict)
    by_hash: dict[str, int] = field(default_factory=dict)
    gaps: list[list[int]] = field(default_factory=list)
    dangling: dict[str, int] = field(default_factory=dict)
    seals: dict[int, list[_SealState]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.max_seen = self.last = self.before = self.anchor.sequence

    def add(self, problem: Problem) -> None:
        if problem.severity is Severity.ERROR:
            self.failed = True
        if len(self.problems) < self.max_problems:
            self.problems.append(problem)
        else:
            self.omitted += 1

    def error(self, code: ProblemCode, seq: int, en: str, vi: str, until: int | None = None) -> None:
        self.add(Problem(code, seq, en, vi, Severity.ERROR, until))

    # --------------------------------------------------------------------------- entries

    def feed(self, entry: MessageLogEntry) -> None:
        s = entry.sequence
        self.count += 1
        if self.first is None:
            self.first = s
        actual = entry.compute_hash() if entry.previous_hash else ""
        if not actual or actual != entry.hash:
            self.error(
                ProblemCode.EDITED,
                s,
                f"record {s} was edited: its hash does not match its content",
                f"bản ghi {s} đã bị sửa: mã băm không khớp với nội dung",
            )
        placed = self.placed(s)
        if placed:
            self.check_links(entry)
            self.remember(entry)
            for state in self.seals.get(s, ()):
                self.check_head(state, entry, actual)
        if self.pending is not None:
            self.check_place(self.pending, s)
        self.before, self.pending = self.last, (s if placed else None)
        self.last = s

    def check_place(self, s: int, after: int | None) -> None:
        """Is record `s`, between `before` and `after` in the stream, out of order?

        A record is out of order when neither stream neighbour is its sequence neighbour and one of them
        is on the wrong side: in 10, 5001, 12 … 5000, 11, 5002 that names 5001 and 11 (not 12 … 5000),
        and a deletion (100, 102, 103) names nobody.
        """
        before = self.before
        if before == s - 1 or after == s + 1:
            return
        if before > s or (after is not None and after < s):
            next_part = f" and before record {after}" if after is not None else ""
            next_vi = f" và trước bản ghi {after}" if after is not None else ""
            self.error(
                ProblemCode.REORDERED,
                s,
                f"record {s} is out of order: it comes after record {before}{next_part}",
                f"bản ghi {s} sai thứ tự: nằm sau bản ghi {before}{next_vi}",
            )

    def placed(self, s: int) -> bool:
        """Check the sequence number; False for records that cannot take part in link checks."""
        if s <= self.anchor.sequence:
            self.error(
                ProblemCode.REORDERED,
                s,
                f"record {s} appears after the start of the checked range ({self.anchor.sequence})",
                f"bản ghi {s} xuất hiện sau điểm bắt đầu kiểm tra ({self.anchor.sequence})",
            )
            return False
        if s > self.max_seen:
            if s > self.max_seen + 1:
                self.gaps.append([self.max_seen + 1, s - 1])
            self.max_seen = s
            return True
        if self.fill_gap(s):
            return True
        self.error(
            ProblemCode.DUPLICATE,
            s,
            f"sequence number {s} appears more than once",
            f"số thứ tự {s} xuất hiện nhiều lần",
        )
        return False

    def fill_gap(self, s: int) -> bool:
        i = bisect_right(self.gaps, s, key=lambda gap: gap[0]) - 1
        if i < 0 or not self.gaps[i][0] <= s <= self.gaps[i][1]:
            return False
        lo, hi = self.gaps[i]
        if lo == hi:
            del self.gaps[i]
        elif s == lo:
            self.gaps[i][0] = s + 1
        elif s == hi:
            self.gaps[i][1] = s - 1
        else:
            self.gaps[i][1] = s - 1
            self.gaps.insert(i + 1, [s + 1, hi])
        return True

    def hash_of(self, s: int) -> str | None:
        if s == self.anchor.sequence:
            return self.anchor.hash
        known = self.recent.get(s)
        return known[0] if known else None

    def check_links(self, entry: MessageLogEntry) -> None:
        s = entry.sequence
        before = self.hash_of(s - 1)
        if before is not None and entry.previous_hash != before:
            self.bad_link(s, entry.previous_hash)
        after = self.recent.get(s + 1)
        if after is not None and after[1] != entry.hash:
            self.bad_link(s + 1, after[1])
        pointing = self.dangling.pop(entry.hash, None)
        if pointing is not None and pointing != s + 1:
            self.error(
                ProblemCode.REORDERED,
                pointing,
                f"record {pointing} links to record {s}, which comes later: hash links cross",
                f"bản ghi {pointing} liên kết tới bản ghi {s} ở phía sau: liên kết băm bị chéo",
            )

    def bad_link(self, s: int, stated_previous: str) -> None:
        other = self.by_hash.get(stated_previous)
        if other is not None:
            self.error(
                ProblemCode.REORDERED,
                s,
                f"record {s} links to record {other} instead of record {s - 1}: hash links cross",
                f"bản ghi {s} liên kết tới bản ghi {other} thay vì bản ghi {s - 1}: liên kết băm bị chéo",
            )
            return
        self.error(
            ProblemCode.BROKEN_LINK,
            s,
            f"record {s} does not link to record {s - 1} (previous_hash differs): "
            f"a record before it was deleted, replaced or re-chained",
            f"bản ghi {s} không liên kết với bản ghi {s - 1} (previous_hash khác): "
            f"bản ghi trước đó đã bị xóa, thay thế hoặc tạo lại chuỗi",
        )
        if len(self.dangling) < self.max_problems:
            self.dangling[stated_previous] = s

    def remember(self, entry: MessageLogEntry) -> None:
        self.recent[entry.sequence] = (entry.hash, entry.previous_hash)
        self.by_hash[entry.hash] = entry.sequence
        while len(self.recent) > self.window:
            old_seq, (old_hash, _) = self.recent.popitem(last=False)
            if self.by_hash.get(old_hash) == old_seq:
                del self.by_hash[old_hash]

    # --------------------------------------------------------------------------- seals

    def add_seal(self, seal: ChainSeal, trusted_check: TrustCheck | None) -> None:
        problems, _token = check_seal(seal, trusted_check)
        for problem in problems:
            self.add(problem)
        self.seals.setdefault(seal.last_sequence, []).append(_SealState(seal, valid=not problems))

    def check_head(self, state: _SealState, entry: MessageLogEntry, actual: str) -> None:
        state.head_seen = True
        seal = state.seal
        if entry.hash == seal.head_hash and actual == seal.head_hash:
            state.head_ok = True
            return
        self.error(
            ProblemCode.SEAL_HEAD_MISMATCH,
            entry.sequence,
            f"record {entry.sequence} does not match the sealed chain head "
            f"(sealed {seal.head_hash[:16]}…, found {actual[:16] or entry.hash[:16]}…)",
            f"bản ghi {entry.sequence} không khớp đầu chuỗi đã niêm phong",
        )

    # --------------------------------------------------------------------------- end

    def finish(self, seal_count: int, trusted_check: TrustCheck | None) -> VerificationReport:
        if self.pending is not None:
            self.check_place(self.pending, None)
        for lo, hi in self.gaps:
            what = f"record {lo}" if lo == hi else f"records {lo}–{hi}"
            what_vi = f"bản ghi {lo}" if lo == hi else f"các bản ghi {lo}–{hi}"
            self.error(
                ProblemCode.DELETED,
                lo,
                f"{what} missing from the log (deleted)",
                f"thiếu {what_vi} trong nhật ký (đã bị xóa)",
                until=hi,
            )
        sealed_through = 0
        for seq, states in self.seals.items():
            for state in states:
                if not state.head_seen and seq > self.anchor.sequence:
                    self.error(
                        ProblemCode.SEAL_RECORD_MISSING,
                        seq,
                        f"a seal covers record {seq}, which is not in the log (records deleted)",
                        f"có niêm phong cho bản ghi {seq} nhưng nhật ký không có bản ghi này (đã bị xóa)",
                    )
                if state.valid and state.head_ok:
                    sealed_through = max(sealed_through, seq)
        start = max(sealed_through, self.anchor.sequence) + 1
        if self.count and self.max_seen >= start:
            self.add(
                Problem(
                    ProblemCode.NOT_SEALED,
                    start,
                    f"records {start}–{self.max_seen} are not yet sealed",
                    f"các bản ghi {start}–{self.max_seen} chưa được niêm phong",
                    Severity.WARNING,
                    self.max_seen,
                )
            )
        if seal_count and trusted_check is None:
            self.add(
                Problem(
                    ProblemCode.TRUST_NOT_CHECKED,
                    0,
                    "seal and TSA certificates were not checked against trusted certificates",
                    "chưa đối chiếu chứng thư số niêm phong và TSA với danh sách tin cậy",
                    Severity.WARNING,
                )
            )
        self.problems.sort(key=lambda p: p.sequence)
        return VerificationReport(
            ok=not self.failed,
            entries=self.count,
            first_sequence=self.first,
            last_sequence=self.max_seen if self.count else None,
            seals=seal_count,
            sealed_through=sealed_through,
            problems=tuple(self.problems),
            problems_omitted=self.omitted,
        )


def verify_log(
    entries: Iterable[MessageLogEntry],
    seals: Iterable[ChainSeal] = (),
    *,
    trusted_check: TrustCheck | None = None,
    anchor: ChainTip = GENESIS,
    window: int = DEFAULT_WINDOW,
    max_problems: int = 1000,
) -> VerificationReport:
    """Stream a message log and report every edited, deleted or reordered record and every bad seal.

    `entries` in storage order (normally by sequence number); `anchor` is the record just before the
    first one expected (the genesis by default; after archiving, the last archived record).
    `trusted_check` decides which seal and TSA certificates are trusted (`pinned`, `issued_by`);
    without it seals are checked for integrity only, with a warning.
    """
    if window < 2 or max_problems < 1:
        raise ValueError("window must be at least 2 and max_problems at least 1")
    verifier = _Verifier(anchor, window, max_problems)
    seal_count = 0
    for seal in seals:
        seal_count += 1
        verifier.add_seal(seal, trusted_check)
    for entry in entries:
        verifier.feed(entry)
    return verifier.finish(seal_count, trusted_check)
