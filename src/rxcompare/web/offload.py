"""Slow work off the event loop: in worker threads, a few at a time, identical requests shared.

A comparison that is not cached takes a fraction of a second of Python (resolve, compare, render).
Run on the event loop it would stall every other request; run in an unbounded number of threads
it would still starve the loop, since the threads and the loop share one interpreter lock. So
:class:`Offload` runs such work in worker threads, at most ``limit`` at a time (the rest wait on
the loop, holding no thread), and requests for the same key while one is under way await that
one's result instead of computing it again (single flight). ``/healthz`` and cached pages never
wait behind it.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Hashable
from typing import Any

from starlette.concurrency import run_in_threadpool


class _LoopState:
    def __init__(self, limit: int) -> None:
        self.slots = asyncio.Semaphore(limit)
        self.flights: dict[Hashable, asyncio.Task] = {}


class Offload:
    """Run ``make(*args)`` in a worker thread, at most ``limit`` at a time, once per key in flight.

    State is kept per event loop (a server has one; tests may start several in turn).
    """

    def __init__(self, limit: int = 2) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        self.limit = limit
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = (
            weakref.WeakKeyDictionary()
        )

    def _state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        state = self._loops.get(loop)
        if state is None:
            state = self._loops[loop] = _LoopState(self.limit)
        return state

    async def run(self, key: Hashable, make: Callable[..., Any], *args: Any) -> Any:
        state = self._state()
        task = state.flights.get(key)
        if task is None:
            task = asyncio.ensure_future(self._work(state, make, args))
            state.flights[key] = task
            task.add_done_callback(lambda t: self._landed(state, key, t))
        # A client that goes away cancels its own wait, never the work the others await.
        return await asyncio.shield(task)

    @staticmethod
    async def _work(state: _LoopState, make: Callable[..., Any], args: tuple) -> Any:
        async with state.slots:
            return await run_in_threadpool(make, *args)

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
