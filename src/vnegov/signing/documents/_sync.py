"""Calling pyHanko's synchronous API safely.

pyHanko's sync functions start their own event loop (`asyncio.run`), which fails in a thread where
a loop is already running (an async endpoint, or a test session holding Playwright's loop). There
the call moves to a short-lived worker thread; everywhere else it runs directly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def off_loop(fn: Callable[..., T], *args: object, **kwargs: object) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pyhanko") as pool:
        return pool.submit(fn, *args, **kwargs).result()
