"""A gateway's running processes (tiến trình của cổng), so that they share its rate limits.

A gateway may run as several processes (`--workers N`), on several machines with one database. A rate
limit set for a client and a service is the gateway's: N processes that each allowed the whole rate
would allow N times what the provider asked for. So each process announces itself here every
`HEARTBEAT_SECONDS` and learns how many processes of its gateway are running; each then allows its
share of the rate (`gateway.limits.RateLimiter.share`). A process that stopped without withdrawing
(killed) counts until `STALE_SECONDS` have passed: meanwhile the others allow a little less, never more.

Connections, not calls, are spread over the processes (by the kernel, or a load balancer): a client
whose calls all arrive on one process's connections is held to that process's share.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

import sqlalchemy as sa

from vnegov.exchange.models import GatewayProcess
from vnegov.kernel.db import Database, utcnow

HEARTBEAT_SECONDS = 5.0
STALE_SECONDS = 3 * HEARTBEAT_SECONDS


def announce(db: Database, gateway_id: str, process_id: str, *, now: datetime | None = None) -> int:
    """Say that this process of `gateway_id` runs, forget processes of any gateway not heard from for
    `STALE_SECONDS`, and return how many processes of `gateway_id` are running, this one included.
    Blocking: run it off the event loop."""
    now = now or utcnow()
    with db.transaction() as session:
        session.execute(
            sa.delete(GatewayProcess).where(GatewayProcess.seen_at < now - timedelta(seconds=STALE_SECONDS))
        )
        seen = session.execute(
            sa.update(GatewayProcess).where(GatewayProcess.process_id == process_id).values(seen_at=now)
        )
        if not seen.rowcount:  # type: ignore[attr-defined]  # first announcement, or forgotten meanwhile
            session.add(
                GatewayProcess(
                    process_id=process_id,
                    gateway_id=gateway_id,
                    host=socket.gethostname()[:255],
                    pid=os.getpid(),
                    started_at=now,
                    seen_at=now,
                )
            )
            session.flush()
        count = session.scalar(
            sa.select(sa.func.count())
            .select_from(GatewayProcess)
            .where(GatewayProcess.gateway_id == gateway_id)
        )
    return max(1, int(count or 0))


def withdraw(db: Database, process_id: str) -> None:
    """This process stops: the others of its gateway take over its share at their next announcement."""
    with db.transaction() as session:
        session.execute(sa.delete(GatewayProcess).where(GatewayProcess.process_id == process_id))


def running(db: Database, gateway_id: str) -> list[GatewayProcess]:
    """The processes of `gateway_id` that announced themselves lately, oldest first."""
    with db.read() as session:
        rows = session.scalars(
            sa.select(GatewayProcess)
            .where(GatewayProcess.gateway_id == gateway_id)
            .order_by(GatewayProcess.started_at, GatewayProcess.process_id)
        ).all()
        session.expunge_all()
    return list(rows)
