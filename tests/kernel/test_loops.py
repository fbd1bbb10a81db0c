"""`running_loop`: the running event loop, as asyncio's, without asking the kernel each time."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest
import uvloop

from vnegov.kernel.loops import running_loop


async def _both() -> tuple[asyncio.AbstractEventLoop, asyncio.AbstractEventLoop]:
    return running_loop(), asyncio.get_running_loop()


def test_it_is_the_running_loop_and_follows_a_new_one_in_the_same_thread() -> None:
    first, expected_first = asyncio.run(_both())
    second, expected_second = uvloop.run(_both())
    assert first is expected_first
    assert second is expected_second
    assert second is not first


def test_outside_a_loop_it_refuses_as_asyncio_does() -> None:
    asyncio.run(_both())  # this thread remembers a loop, which has stopped since
    with pytest.raises(RuntimeError):
        running_loop()


def test_each_thread_finds_its_own_loop() -> None:
    found: dict[str, bool] = {}
    started = threading.Barrier(2)

    def run(name: str) -> None:
        async def main() -> None:
            started.wait()  # both loops are running at once
            for _ in range(3):
                found[name] = running_loop() is asyncio.get_running_loop()
                await asyncio.sleep(0)

        asyncio.run(main())

    threads = [threading.Thread(target=run, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert found == {"a": True, "b": True}


def test_a_forked_child_does_not_inherit_the_loop() -> None:
    async def fork_inside() -> int:
        running_loop()  # remembered by this thread, then fork while the loop runs
        pid = os.fork()
        if pid == 0:
            try:
                running_loop()
            except RuntimeError:
                os._exit(0)  # as asyncio: no running loop in the child
            os._exit(1)
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status)

    assert asyncio.run(fork_inside()) == 0
