"""Daily quotas (hạn mức) count the message log: a restarted gateway does not hand out a fresh quota, and
the count reads a client's calls of the day, not its whole history."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import Caller
from tests.exchange.conftest import HANOI, GatewayEnv, own_database
from tests.exchange.test_gateway import _assert_refused, _register
from tests.exchange.test_messagelog import fields
from vnegov.exchange import logstore
from vnegov.exchange.gateway.limits import DailyQuota
from vnegov.kernel.db import Database

START = datetime(2026, 12, 6, 17, 0, tzinfo=UTC)  # 7 December, 00:00 in Việt Nam
END = START + timedelta(days=1)
CLIENT, SERVICE = "VN/GOV/H24/MCDT", "VN/GOV/G01/DANCU/verify/v1"

# (request time, client, service, counted): in the order the log stored them.
CALLS = [
    (START - timedelta(days=3), CLIENT, SERVICE, False),  # days ago
    (START - timedelta(microseconds=1), CLIENT, SERVICE, False),  # the day before, by a microsecond
    (START, CLIENT, SERVICE, True),
    (START + timedelta(hours=9), "VN/GOV/H24/DVC", SERVICE, False),  # another system of the member
    (START + timedelta(hours=9), "VN/GOV/H240/MCDT", SERVICE, False),  # a member whose code starts alike
    (START + timedelta(hours=9), CLIENT, "VN/GOV/G01/DANCU/verify/v2", False),  # another service
    (START + timedelta(hours=10), CLIENT, SERVICE, True),
    (START - timedelta(minutes=5), CLIENT, SERVICE, False),  # a slow call of the day before, stored late
    (END - timedelta(microseconds=1), CLIENT, SERVICE, True),
    (END, CLIENT, SERVICE, False),  # the next day
]


@pytest.fixture()
def own_db(tmp_path: Path) -> Iterator[Database]:
    with own_database(tmp_path / "quota.db") as db:
        yield db


def _log(db: Database, calls: list[tuple[datetime, str, str, bool]]) -> None:
    log = logstore.open_log(db)
    for i, (at, client, service, _counted) in enumerate(calls, start=1):
        record = {**fields(i), "client": client, "service": service}
        record.update(request_time=at, response_time=at + timedelta(milliseconds=3))
        log.append(**record).result(30)
    log.close()


def test_the_day_s_calls_of_one_client_to_one_service_are_counted(own_db: Database) -> None:
    _log(own_db, CALLS)
    expected = sum(counted for *_, counted in CALLS)
    assert logstore.count_calls(own_db, CLIENT, SERVICE, START, END) == expected == 3
    assert logstore.count_calls(own_db, "VN/GOV/H240/MCDT", SERVICE, START, END) == 1
    assert logstore.count_calls(own_db, CLIENT, SERVICE, END, END + timedelta(days=1)) == 1
    assert logstore.count_calls(own_db, CLIENT, SERVICE, START - timedelta(days=1), START) == 2


def test_records_stored_before_the_day_are_not_read(own_db: Database) -> None:
    """The count starts after the last record requested a whole call's span before the day."""
    _log(own_db, CALLS)
    with own_db.read() as session:
        before = session.scalar(logstore.stored_before(START - logstore.LONGEST_CALL))
        assert before == 1  # the call of three days ago
        # what `calls_after` skips holds none of the day's calls
        assert session.scalar(logstore.calls_after(0, CLIENT, SERVICE, START, END)) == session.scalar(
            logstore.calls_after(before, CLIENT, SERVICE, START, END)
        )


@pytest.mark.parametrize("which", ["bound", "count"])
def test_both_reads_go_through_an_index(own_db: Database, which: str) -> None:
    statement = (
        logstore.stored_before(START - logstore.LONGEST_CALL)
        if which == "bound"
        else logstore.calls_after(41, CLIENT, SERVICE, START, END)
    )
    index = (
        "ix_exchange_log_record_request_time" if which == "bound" else "ix_exchange_log_record_client_member"
    )
    with own_db.engine.begin() as connection:
        if own_db.dialect == "postgresql":
            connection.execute(sa.text("SET LOCAL enable_seqscan = off"))  # a tiny table would be scanned
        compiled = statement.compile(own_db.engine, compile_kwargs={"literal_binds": True})
        explain = "EXPLAIN QUERY PLAN " if own_db.dialect == "sqlite" else "EXPLAIN "
        plan = " ".join(str(row[-1]) for row in connection.execute(sa.text(explain + str(compiled))))
    assert index in plan, plan
    assert "Seq Scan" not in plan and "TEMP B-TREE" not in plan and "Sort" not in plan, plan
    if which == "count":  # from the bound on, not from the member's first record
        assert "sequence>" in plan.replace(" ", "") or "sequence >" in plan, plan


def test_a_restarted_gateway_counts_the_quota_already_used(gw: GatewayEnv, g22_operator: Caller) -> None:
    quota = _register(
        gw, g22_operator, "counted", "http://vnegov.test/api/v1/exchange/demo/echo", quota_per_day=2
    )
    assert [gw.client.get(quota, headers=gw.headers(HANOI)).status_code for _ in range(2)] == [200, 200]
    gw.gateway.quota = DailyQuota(gw.gateway._count_logged)  # a new process: nothing counted in memory
    r = gw.client.get(quota, headers=gw.headers(HANOI))
    _assert_refused(gw, r, 429, "Server.ClientProxy.QuotaExceeded", "quota_exceeded")
