"""Slow work off the event loop: in worker threads, a few at a time, identical requests shared.

A comparison that is not cached takes a fraction of a second of Python (resolve, compare, render).
Run on the event loop it would stall every other request; run in an unbounded number of threads
it would still starve the loop, since the threads and the loop share one interpreter lock and
the machine's cores. So :class:`Offload` runs such work in its own pool of ``limit`` worker
threads (the rest wait in the pool's queue, holding no thread), at a lower CPU priority on Linux
(``nice`` +10 for those threads only, and for the DuckDB threads they start), and requests for
the same key while one is under way await that one's result instead of computing it again
(single flight). ``/healthz`` and cached pages never wait behind it.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
import sys
import threading
import weakref
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import Any


class _LoopState:
    def __init__(self) -> None:
        self.flights: dict[Hashable, asyncio.Task] = {}


def _lower_priority(nice: int) -> None:
    """Raise this thread's nice value by ``nice`` (Linux: per thread; elsewhere nothing)."""
    if nice and sys.platform == "linux":
        tid = threading.get_native_id()
        try:
            os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + nice)
        except OSError:
            pass  # not permitted here: run at the normal priority


class Offload:
    """Run ``make(*args)`` in a worker thread, at most ``limit`` at a time, once per key in flight.

    State is kept per event loop (a server has one; tests may start several in turn).
    """

    def __init__(self, limit: int = 2, nice: int = 10) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        self.limit = limit
        self._pool = ThreadPoolExecutor(
            limit, "rxcompare-compare", initializer=_lower_priority, initargs=(nice,)
        )
        weakref.finalize(self, self._pool.shutdown, wait=False)
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = (
            weakref.WeakKeyDictionary()
        )

    def _state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        state = self._loops.get(loop)
        if state is None:
            state = self._loops[loop] = _LoopState()
        return state

    async def run(self, key: Hashable, make: Callable[..., Any], *args: Any) -> Any:
        state = self._state()
        task = state.flights.get(key)
        if task is None:
            task = asyncio.ensure_future(self._work(make, args))
            state.flights[key] = task
            task.add_done_callback(lambda t: self._landed(state, key, t))
        # A client that goes away cancels its own wait, never the work the others await.
        return await asyncio.shield(task)

    async def _work(self, make: Callable[..., Any], args: tuple) -> Any:
        call = functools.partial(contextvars.copy_context().run, make, *args)
        return await asyncio.get_running_loop().run_in_executor(self._pool, call)

    @staticmethod
    def _landed(state: _LoopState, key: Hashable, task: asyncio.Task) -> None:
        if state.flights.get(key) is task:
            del state.flights[key]
        if not task.cancelled():
            task.exception()  # retrieved: an error nobody awaited any more is not logged as lost

    def in_flight(self) -> int:
        """Keys being worked on or waiting for a thread, on the running loop."""
        return len(self._state().flights)


__all__ = ["Offload"]
