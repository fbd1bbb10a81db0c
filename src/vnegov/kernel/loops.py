"""The running event loop, found without a system call.

On Python 3.11 `asyncio.get_running_loop()` asks the kernel for the process id on every call (to
notice a fork); a gateway asked three times per call, and on this project's VMs those `getpid` calls
were 5–7 % of the event-loop thread's time under load (py-spy --native). `running_loop()` remembers
the loop per thread while it runs and asks asyncio only when that loop has stopped.
"""

from __future__ import annotations

import asyncio
import os
import threading

_local = threading.local()


def _forget_after_fork() -> None:
    # A forked child has no running loop, whatever the parent's thread had remembered.
    global _local
    _local = threading.local()


os.register_at_fork(after_in_child=_forget_after_fork)


def running_loop() -> asyncio.AbstractEventLoop:
    """The event loop running in this thread (`RuntimeError` if none), as `asyncio.get_running_loop`.

    A loop remembered by this thread is taken while it is running: a thread runs one loop at a time,
    so the loop this thread last found running, still running, is this thread's — unless that loop
    was stopped here and started again in another thread, which nothing in vnegov does."""
    loop: asyncio.AbstractEventLoop | None = getattr(_local, "loop", None)
    if loop is None or not loop.is_running():
        loop = _local.loop = asyncio.get_running_loop()
    return loop
