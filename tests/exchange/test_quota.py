"""Daily quotas (hạn mức): shared by a gateway's processes through leased blocks, kept over a restart,
started from the calls the message log holds; the log's count reads a client's calls of the day, not its
whole history."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import Caller
from tests.exchange.conftest import HANOI, GatewayEnv, own_database
from tests.exchange.test_gateway import _assert_refused, _register
from tests.exchange.test_messagelog import fields
from vnegov.exchange import logstore, quota
from vnegov.exchange.gateway.limits import DailyQuota
from vnegov.exchange.models import QuotaUsage
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
    path = _register(
        gw, g22_operator, "counted", "http://vnegov.test/api/v1/exchange/demo/echo", quota_per_day=2
    )
    assert [gw.client.get(path, headers=gw.headers(HANOI)).status_code for _ in range(2)] == [200, 200]
    gw.gateway.quota = DailyQuota(gw.gateway.lease_quota)  # a new process: nothing counted in memory
    r = gw.client.get(path, headers=gw.headers(HANOI))
    _assert_refused(gw, r, 429, "Server.ClientProxy.QuotaExceeded", "quota_exceeded")


def test_calls_logged_before_the_gateway_kept_the_count_are_counted(
    gw: GatewayEnv, g22_operator: Caller
) -> None:
    """The day of an upgrade: the calls are in the message log, the leases are not."""
    path = _register(
        gw, g22_operator, "upgraded", "http://vnegov.test/api/v1/exchange/demo/echo", quota_per_day=2
    )
    assert [gw.client.get(path, headers=gw.headers(HANOI)).status_code for _ in range(2)] == [200, 200]
    with gw.db.transaction() as session:
        session.execute(sa.delete(QuotaUsage))
    gw.gateway.quota = DailyQuota(gw.gateway.lease_quota)
    r = gw.client.get(path, headers=gw.headers(HANOI))
    _assert_refused(gw, r, 429, "Server.ClientProxy.QuotaExceeded", "quota_exceeded")
    with gw.db.read() as session:
        assert session.scalars(sa.select(QuotaUsage.leased)).all() == [2]  # the log's two calls


# --------------------------------------------------------------------------- shared by processes

DAY = date(2026, 12, 7)


def _process(db: Database, logged: int = 0, calls: list[int] | None = None) -> DailyQuota:
    """One gateway process's quota: leases from `db` (each lease appended to `calls`)."""

    def lease(client: str, service: str, day: date, limit: int, want: int) -> int:
        granted = quota.lease(db, lambda *_: logged, client, service, day, limit, want)
        if calls is not None:
            calls.append(granted)
        return granted

    return DailyQuota(lease)


def _take(process: DailyQuota, limit: int, client: str = CLIENT) -> bool:
    taken = process.take(client, SERVICE, DAY, limit)
    return process.lease_and_take(client, SERVICE, DAY, limit) if taken is None else taken


def test_processes_of_one_gateway_share_the_quota(own_db: Database) -> None:
    first, second = _process(own_db), _process(own_db)
    allowed = [_take(p, 100) for _ in range(150) for p in (first, second)]
    assert sum(allowed) == 100  # not 100 each
    assert quota.leased(own_db, CLIENT, SERVICE, DAY) == 100
    assert not _take(_process(own_db), 100)  # a process started now: nothing left either


def test_concurrent_processes_never_hand_out_more_than_the_quota(own_db: Database) -> None:
    processes = [_process(own_db) for _ in range(4)]
    allowed: list[int] = []

    def calls(process: DailyQuota) -> None:  # until refused: each process uses up its own block
        taken = 0
        while _take(process, 150):
            taken += 1
        allowed.append(taken)

    threads = [threading.Thread(target=calls, args=(p,)) for p in processes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(allowed) == 150 and quota.leased(own_db, CLIENT, SERVICE, DAY) == 150


def test_blocks_shrink_near_the_end_and_one_database_write_serves_many_calls(own_db: Database) -> None:
    leases: list[int] = []
    process = _process(own_db, calls=leases)
    assert sum(_take(process, 1000) for _ in range(1000)) == 1000
    assert leases[0] == DailyQuota.BLOCK and len(leases) < 60  # not a write per call
    assert leases[-3:] == [1, 1, 1]  # the last calls are leased one by one: other processes get some
    assert not _take(process, 1000)
    assert leases[-1] == 0


def test_the_first_lease_of_the_day_counts_calls_already_logged(own_db: Database) -> None:
    process = _process(own_db, logged=3)
    assert [_take(process, 5) for _ in range(4)] == [True, True, False, False]


def test_a_used_up_quota_is_refused_without_asking_again_until_the_limit_changes(own_db: Database) -> None:
    leases: list[int] = []
    process = _process(own_db, calls=leases)
    assert [_take(process, 2) for _ in range(5)] == [True, True, False, False, False]
    assert leases == [1, 1, 0]  # refused from memory after the first refusal
    assert _take(process, 3)  # the provider raised the quota
    assert not _take(process, 3)
    assert leases == [1, 1, 0, 1, 0]


def test_a_lowered_limit_is_not_exceeded_with_a_block_leased_before(own_db: Database) -> None:
    process = _process(own_db)
    assert _take(process, 1000)  # leases a block of 64 under the old limit
    assert quota.leased(own_db, CLIENT, SERVICE, DAY) == DailyQuota.BLOCK
    assert not _take(process, 10)  # 64 already leased: over the new limit


def test_earlier_days_counts_are_dropped(own_db: Database) -> None:
    with own_db.transaction() as session:
        session.add(QuotaUsage(client=CLIENT, service=SERVICE, day=DAY - timedelta(days=40), leased=9))
        session.add(QuotaUsage(client=CLIENT, service=SERVICE, day=DAY - timedelta(days=2), leased=9))
    assert _take(_process(own_db), 10)
    with own_db.read() as session:
        days = session.scalars(sa.select(QuotaUsage.day).order_by(QuotaUsage.day)).all()
    assert days == [DAY - timedelta(days=2), DAY]
