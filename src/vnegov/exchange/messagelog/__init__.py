"""The tamper-evident message log (nhật ký thông điệp) of the exchange gateways: the pure core.

- `records`: `MessageLogEntry`, its canonical encoding (format version 1) and the SHA-256 hash chain
  (`chain`, `next_entry`).
- `seal`: batches of the chain sealed by signing and RFC 3161 time-stamping the head (`seal_batch`,
  `verify_seal`, trust checks `pinned` and `issued_by`).
- `verify`: `verify_log` streams a log and its seals and names every edited, deleted or reordered
  record and every bad seal.
- `writer`: `GroupCommitLog`, the single group-committing writer that owns the chain tip.

No database and no HTTP here: storage passes a `persist` callable and streams entries back for checking.
"""

from vnegov.exchange.messagelog.problems import Problem, ProblemCode, Severity
from vnegov.exchange.messagelog.records import (
    FORMAT_VERSION,
    GENESIS,
    GENESIS_HASH,
    ChainTip,
    MessageLogEntry,
    body_hash,
    canonical_bytes,
    chain,
    next_entry,
)
from vnegov.exchange.messagelog.seal import (
    ChainSeal,
    SealError,
    Stamp,
    TrustCheck,
    check_seal,
    issued_by,
    pinned,
    seal_batch,
    seal_range,
    seal_statement,
    verify_seal,
)
from vnegov.exchange.messagelog.verify import VerificationReport, verify_log
from vnegov.exchange.messagelog.writer import (
    Chain,
    ChainingPersist,
    GroupCommitLog,
    LogClosed,
    LogOverloaded,
    LogWriteFailed,
    Persist,
    WriterStats,
)

__all__ = [
    "FORMAT_VERSION",
    "GENESIS",
    "GENESIS_HASH",
    "Chain",
    "ChainSeal",
    "ChainTip",
    "ChainingPersist",
    "GroupCommitLog",
    "LogClosed",
    "LogOverloaded",
    "LogWriteFailed",
    "MessageLogEntry",
    "Persist",
    "Problem",
    "ProblemCode",
    "SealError",
    "Severity",
    "Stamp",
    "TrustCheck",
    "VerificationReport",
    "WriterStats",
    "body_hash",
    "canonical_bytes",
    "chain",
    "check_seal",
    "issued_by",
    "next_entry",
    "pinned",
    "seal_batch",
    "seal_range",
    "seal_statement",
    "verify_log",
    "verify_seal",
]
