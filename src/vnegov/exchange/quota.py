"""Daily quotas shared by a gateway's processes (hạn mức lượt gọi trong ngày).

A quota is a contract: a client may call a service so many times a day through this gateway, however
many processes or machines the gateway runs on. Each process takes calls from a block of the day's
quota it leased here (`lease`), in memory, and comes back for another block when it has used its own
(`gateway.limits.DailyQuota`). The blocks handed out never add up to more than the quota; a process
that stops forfeits what is left of its block (a restart may give a client a little less, never
more). Near the end of the quota the blocks shrink to one call, so processes share what remains.

The first lease of a day for a client and service starts from the calls the message log already holds
for that day (calls made before a gateway kept this count, e.g. on the day of an upgrade).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from vnegov.exchange.models import QuotaUsage
from vnegov.kernel.db import Database

SHARE = 4
"""A block is at most a quarter of what is left of the day's quota: processes that lease at the end of
the day find some left for them."""
KEEP_DAYS = 31  # earlier days' counts are deleted when a day's first lease is made
_ATTEMPTS = 20

CountLogged = Callable[[str, str, date], int]


def lease(
    db: Database, count_logged: CountLogged, client: str, service: str, day: date, limit: int, want: int
) -> int:
    """Lease up to `want` calls of `client`'s quota of `limit` calls to `service` on `day` (a day in
    Việt Nam's time): how many were leased, 0 when the day's quota is used up. Blocking: run it off the
    event loop."""
    for _attempt in range(_ATTEMPTS):
        try:
            with db.transaction() as session:
                # FOR UPDATE (PostgreSQL): the row is this lease's until it commits; SQLite's writers
                # take turns anyway
                leased = session.scalar(_leased(client, service, day).with_for_update())
                if leased is None:
                    leased = count_logged(client, service, day)
                    session.execute(
                        sa.delete(QuotaUsage).where(QuotaUsage.day < day - timedelta(days=KEEP_DAYS))
                    )
                    session.add(QuotaUsage(client=client, service=service, day=day, leased=leased))
                    session.flush()  # IntegrityError: another process made the day's count first
                left = limit - leased
                if left <= 0:
                    return 0
                give = min(want, max(1, left // SHARE))
                taken = session.execute(
                    sa.update(QuotaUsage)
                    .where(*_key(client, service, day), QuotaUsage.leased == leased)
                    .values(leased=leased + give)
                )
                if taken.rowcount == 1:  # type: ignore[attr-defined]
                    return give
        except IntegrityError:
            pass
        # another process made the day's row first: read it again
    raise RuntimeError(f"could not lease {client}'s quota for {service}: {_ATTEMPTS} attempts collided")


def leased(db: Database, client: str, service: str, day: date) -> int:
    """How many calls of the day's quota the gateway's processes have leased (0 before the first)."""
    with db.read() as session:
        return int(session.scalar(_leased(client, service, day)) or 0)


def _leased(client: str, service: str, day: date) -> sa.Select[int]:
    return sa.select(QuotaUsage.leased).where(*_key(client, service, day))


def _key(client: str, service: str, day: date) -> tuple[sa.ColumnElement[bool], ...]:
    return (QuotaUsage.client == client, QuotaUsage.service == service, QuotaUsage.day == day)
