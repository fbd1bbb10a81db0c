"""An agency's own log and monitoring records: found by the member of their client or service (H24 is
not H240), both sides merged newest first, paged, and read through an index on both engines."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.exchange.conftest import own_database
from tests.exchange.test_messagelog import fields
from vnegov import migrate
from vnegov.exchange import logstore, opmon
from vnegov.exchange.identifiers import member_of
from vnegov.exchange.models import LogRecord, OpmonRecord
from vnegov.exchange.owned import identifier_filters, owned_queries
from vnegov.kernel.context import Principal
from vnegov.kernel.db import Database

HANOI = Principal(subject="official:h24", agency_code="H24")
AUDITOR = Principal(subject="auditor:1", agency_code="G22", roles=frozenset({"auditor"}))
MONITORING = Principal(subject="monitoring:1", agency_code="G22", roles=frozenset({"monitoring"}))

# sequence → (client, service); H24's own records are 1, 3, 4 and 5.
CALLS = {
    1: ("VN/GOV/H24/MCDT", "VN/GOV/G22/DVCQG/echo/v1"),  # H24 calls
    2: ("VN/GOV/H240/MCDT", "VN/GOV/G22/DVCQG/echo/v1"),  # another member whose code starts alike
    3: ("VN/GOV/G12/DVC", "VN/GOV/H24/HOSO/get"),  # H24 provides
    4: ("VN/GOV/H24/MCDT", "VN/GOV/H24/HOSO/get/v2"),  # both sides H24's: shown once
    5: ("VN/GOV/H24", "VN/GOV/G22/DVCQG/echo/v1"),  # a member-level client
    6: ("unknown", "unknown"),  # what a refused caller wrote
    7: ("VN/GOV/G12/DVC", "VN/GOV/G01/DANCU/verify/v1"),
}


@pytest.fixture()
def own_db(tmp_path: Path) -> Iterator[Database]:
    """A database of its own: the tests count every record in it."""
    with own_database(tmp_path / "owned.db") as db:
        yield db


def _log_calls(db: Database) -> None:
    log = logstore.open_log(db)
    for i, (client, service) in CALLS.items():
        log.append(**{**fields(i), "message_id": f"m-{i}", "client": client, "service": service}).result(30)
    log.close()


def _sequences(db: Database, actor: Principal, **query: object) -> list[int]:
    with db.transaction() as session:
        return [item.sequence for item in logstore.search(session, actor=actor, **query).items]  # type: ignore[arg-type]


def test_a_member_is_the_first_three_parts_of_an_identifier() -> None:
    assert member_of("VN/GOV/H24/MCDT") == "VN/GOV/H24"
    assert member_of("VN/GOV/G01/DANCU/congDan/v1") == "VN/GOV/G01"
    assert member_of("VN/GOV/H24") == "VN/GOV/H24"
    assert member_of("VN/GOV/H240/MCDT") != member_of("VN/GOV/H24/MCDT")
    assert member_of("unknown") == member_of("VN/GOV") == member_of("") == ""


def test_an_agency_finds_the_calls_it_made_or_answered_newest_first(own_db: Database) -> None:
    _log_calls(own_db)
    assert _sequences(own_db, HANOI) == [5, 4, 3, 1]
    first = _sequences(own_db, HANOI, limit=2)
    assert first == [5, 4]
    assert _sequences(own_db, HANOI, limit=2, before=4) == [3, 1]
    assert _sequences(own_db, HANOI, client="VN/GOV/H24/MCDT") == [4, 1]
    assert _sequences(own_db, HANOI, service="VN/GOV/H24/HOSO/get") == [4, 3]  # and its versions
    assert _sequences(own_db, HANOI, message_id="m-2") == []  # H240's call, by its id
    assert _sequences(own_db, HANOI, message_id="m-3") == [3]
    assert _sequences(own_db, AUDITOR) == [7, 6, 5, 4, 3, 2, 1]
    assert _sequences(own_db, AUDITOR, client="VN/GOV/H240/MCDT") == [2]
    assert _sequences(own_db, Principal(subject="nobody", agency_code="")) == []


def test_the_calling_agency_alone_sees_the_user_id(own_db: Database) -> None:
    _log_calls(own_db)
    with own_db.transaction() as session:
        items = {i.sequence: i for i in logstore.search(session, actor=HANOI).items}
    assert not items[4].user_id_masked and not items[1].user_id_masked  # H24 called
    assert items[3].user_id_masked  # H24 only answered


def test_monitoring_records_of_an_agency(own_db: Database) -> None:
    writer = opmon.OpmonWriter(own_db, flush_seconds=3600)
    for i, (client, service) in CALLS.items():
        writer.record(opmon.row_of({**_monitoring(i), "client": client, "service": service}))
    writer.close()
    with own_db.transaction() as session:
        mine = opmon.query(session, actor=HANOI)
        every = opmon.query(session, actor=MONITORING)
        versions = opmon.query(session, actor=HANOI, service="VN/GOV/H24/HOSO/get")
    assert [r.message_id for r in mine] == ["m-5", "m-4", "m-3", "m-1"]
    assert len(every) == len(CALLS)
    assert [r.message_id for r in versions] == ["m-4", "m-3"]


@pytest.mark.parametrize(
    ("entity", "key", "query"),
    [
        (LogRecord, LogRecord.sequence, {}),
        (LogRecord, LogRecord.sequence, {"service": "VN/GOV/G22/DVCQG/echo"}),
        (OpmonRecord, OpmonRecord.id, {"client": "VN/GOV/G12/DVC"}),
    ],
)
def test_an_agency_s_page_is_read_from_an_index_in_order(own_db: Database, entity, key, query) -> None:  # type: ignore[no-untyped-def]
    """No scan of the table, no sort: each side reads its (member, key) index backwards."""
    filters = identifier_filters(entity, query.get("client"), query.get("service"))
    statements = owned_queries(entity, key, ["VN/GOV/H24"], filters, 50)
    with own_db.engine.begin() as connection:
        if own_db.dialect == "postgresql":
            connection.execute(sa.text("SET LOCAL enable_seqscan = off"))  # a tiny table would be scanned
        for statement in statements:
            compiled = statement.compile(own_db.engine, compile_kwargs={"literal_binds": True})
            explain = "EXPLAIN QUERY PLAN " if own_db.dialect == "sqlite" else "EXPLAIN "
            plan = " ".join(str(row[-1]) for row in connection.execute(sa.text(explain + str(compiled))))
            assert f"ix_{entity.__tablename__}_" in plan and "_member" in plan, plan
            assert "Seq Scan" not in plan, plan
            assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan


def test_the_migration_fills_the_members_of_stored_records(tmp_path: Path) -> None:
    with own_database(tmp_path / "old.db", migrated=False) as db:
        migrate.upgrade(db, "20261127_11_exchange")  # before the member columns
        with db.engine.begin() as connection:
            for i, (client, service) in CALLS.items():
                row = {**fields(i), "client": client, "service": service, "sequence": i}
                row.update(previous_hash="0" * 64, hash=f"{i:064d}", version=1)
                connection.execute(LogRecord.__table__.insert().values(**row))  # type: ignore[attr-defined]
        migrate.upgrade(db)
        assert _sequences(db, HANOI) == [5, 4, 3, 1]
        with db.read() as session:
            members = session.execute(sa.select(LogRecord.client_member, LogRecord.service_member)).all()
        assert set(members) == {(member_of(c), member_of(s)) for c, s in CALLS.values()}


def _monitoring(i: int) -> dict[str, object]:
    return {
        "monitoring_data_ts": 1_790_000_000 + i,
        "security_server_type": "Producer",
        "gateway_id": "VN/GOV/G22/NDXP",
        "request_in_ts": 1_790_000_000_000 + i,
        "request_out_ts": None,
        "response_in_ts": None,
        "response_out_ts": 1_790_000_000_001 + i,
        "client": "",
        "service": "",
        "message_id": f"m-{i}",
        "message_user_id": "",
        "message_issue": "",
        "message_protocol_version": "r1",
        "rest_method": "POST",
        "rest_path": "/r1/x",
        "request_size": 1,
        "response_size": 1,
        "status_code": 200,
        "succeeded": True,
        "fault_code": "",
        "fault_string": "",
        "service_type": "REST",
    }
