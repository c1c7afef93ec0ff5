"""The process's one bounded pool of frame workers, shared fairly by every session on the server.

This is the only process-wide object of the apps, on purpose: a fixed number of threads keeps one busy tab
from taking the server away from the others (frames wait in one FIFO queue, one frame per session at a time),
and its counters let a test see that a closed tab's session has gone. It holds no session's data.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import queue
import threading
import time
from concurrent.futures import Future
from typing import Any, Callable

__all__ = ["FramePool", "frame_pool", "warm_up_kernels", "DEFAULT_WORKERS"]

log = logging.getLogger("playground.apps")

DEFAULT_WORKERS = 2


def _limit_threads() -> None:
    """One BLAS/OpenMP thread per worker: oversubscription on a shared server makes every session slower."""
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except Exception:  # threadpoolctl is optional at run time; the pool still works without it
        log.debug("threadpoolctl unavailable; BLAS threads not limited")


class FramePool:
    """A fixed set of worker threads with one priority queue, plus counters (sessions, frames in flight, done).

    Frames someone is waiting for (a click on Step, a changed setting, the first picture) go before the frames
    of sessions that are merely playing, so a click answers quickly however many tabs are training; within a
    priority, frames run in the order they were asked for, which shares the workers fairly between sessions.

    Parameters
    ----------
    max_workers : int
        Threads computing frames; 1..16.
    """

    INTERACTIVE = 0
    PLAYING = 1
    CPU_SHARE = 0.75  # playing sessions together use at most this share of the machine; the rest answers clicks
    LOOP_SHARE = 0.5  # ... and at most this share of the server's one event-loop thread
    # With a crowd training (a class, a public demo), less: every click then waits behind fewer frames.
    CROWD = 8
    CROWD_CPU_SHARE = 0.6
    CROWD_LOOP_SHARE = 0.35

    def __init__(self, max_workers: int = DEFAULT_WORKERS) -> None:
        if isinstance(max_workers, bool) or not isinstance(max_workers, int) or not 1 <= max_workers <= 16:
            raise ValueError(f"max_workers: expected an integer in 1..16, got {max_workers!r}")
        self.max_workers = max_workers
        self._queue: queue.PriorityQueue = queue.PriorityQueue()
        self._order = itertools.count()
        self._lock = threading.Lock()
        self._sessions_open = 0
        self._sessions_total = 0
        self._in_flight = 0
        self._frames_done = 0
        self._busy_seconds = 0.0
        self._playing = 0
        # Running means of the seconds one frame costs on a worker and on the server's document thread.
        self._worker_cost = 0.0
        self._document_cost = 0.0
        self._document_wall = 0.0
        self._cpus = max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
        self._threads = [
            threading.Thread(target=self._work, name=f"playground-frame-{i}", daemon=True) for i in range(max_workers)
        ]
        for t in self._threads:
            t.start()

    def submit(self, fn: Callable[..., Any], *args: Any, priority: int = PLAYING) -> Future:
        """Run ``fn(*args)`` on a worker; ``priority`` is :attr:`INTERACTIVE` or :attr:`PLAYING`."""
        future: Future = Future()
        with self._lock:
            self._in_flight += 1
        self._queue.put((priority, next(self._order), future, fn, args))
        return future

    def shutdown(self) -> None:
        """Let the workers finish what is queued, then stop (tests; a server simply exits)."""
        for _ in self._threads:
            self._queue.put((math.inf, next(self._order), None, None, ()))
        for t in self._threads:
            t.join(10)

    def _work(self) -> None:
        _limit_threads()
        while True:
            _, _, future, fn, args = self._queue.get()
            if future is None:
                return
            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                if future.set_running_or_notify_cancel():
                    try:
                        future.set_result(fn(*args))
                    except BaseException as err:  # noqa: BLE001 - handed to whoever waits on the future
                        future.set_exception(err)
            finally:
                cpu = time.thread_time() - c0  # CPU time, not wall time: waiting for the GIL costs nothing
                with self._lock:
                    self._in_flight -= 1
                    self._frames_done += 1
                    self._busy_seconds += time.perf_counter() - t0
                    self._worker_cost = _running_mean(self._worker_cost, cpu)

    def record_document_time(self, cpu_seconds: float, wall_seconds: float) -> None:
        """A session reports how long applying one frame took on the document thread (CPU and wall time)."""
        with self._lock:
            self._document_cost = _running_mean(self._document_cost, cpu_seconds)
            self._document_wall = _running_mean(self._document_wall, wall_seconds)

    def playing_changed(self, playing: bool) -> None:
        """A session started (True) or stopped (False) playing."""
        with self._lock:
            self._playing = max(0, self._playing + (1 if playing else -1))

    def min_frame_interval(self) -> float:
        """Seconds a playing session waits between frames so that all playing sessions together stay within
        :attr:`CPU_SHARE` of the machine and :attr:`LOOP_SHARE` of the event loop (which applies every frame and
        answers every click): with many people training, each gets fewer frames per second and every click
        still answers at once."""
        with self._lock:
            crowd = self._playing > self.CROWD
            cpu_share = self.CROWD_CPU_SHARE if crowd else self.CPU_SHARE
            loop_share = self.CROWD_LOOP_SHARE if crowd else self.LOOP_SHARE
            cpu = (self._worker_cost + self._document_cost) / (cpu_share * self._cpus)
            loop = self._document_wall / loop_share
            return self._playing * max(cpu, loop)

    def session_opened(self) -> None:
        with self._lock:
            self._sessions_open += 1
            self._sessions_total += 1

    def session_closed(self) -> None:
        with self._lock:
            self._sessions_open = max(0, self._sessions_open - 1)

    def stats(self) -> dict[str, float | int]:
        """Counters as plain numbers (for the test-only ``/playground-stats`` endpoint and the benchmark)."""
        with self._lock:
            return {
                "workers": self.max_workers,
                "sessions_open": self._sessions_open,
                "sessions_total": self._sessions_total,
                "frames_in_flight": self._in_flight,
                "frames_done": self._frames_done,
                "busy_seconds": round(self._busy_seconds, 4),
                "sessions_playing": self._playing,
                "frame_cost_ms": round(1000 * (self._worker_cost + self._document_cost), 3),
                "event_loop_ms_per_frame": round(1000 * self._document_wall, 3),
            }


def _running_mean(mean: float, sample: float, weight: float = 0.1) -> float:
    """Exponential running mean; one slow outlier (a first frame, a new dataset) moves it by at most 4× the mean."""
    if mean == 0.0:
        return sample
    return mean + weight * (min(sample, 4.0 * mean) - mean)


_POOL: FramePool | None = None
_POOL_LOCK = threading.Lock()
_WARMED = threading.Event()


def frame_pool() -> FramePool:
    """The process's pool, created on first use with ``PLAYGROUND_WORKERS`` threads (default 2)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            try:
                n = int(os.environ.get("PLAYGROUND_WORKERS", DEFAULT_WORKERS))
            except ValueError:
                n = DEFAULT_WORKERS
            _POOL = FramePool(min(max(n, 1), 16))
            # Frames queue behind the compile, not beside it: the first page waits instead of stalling later.
            _POOL.submit(warm_up_kernels, priority=FramePool.INTERACTIVE)
        return _POOL


def warm_up_kernels() -> bool:
    """Compile (or load from cache) the fast Numba kernels once per process; False when they are not installed."""
    if _WARMED.is_set():
        return True
    from playground.warmup import warm_up

    t0 = time.perf_counter()
    if not warm_up():
        return False
    _WARMED.set()
    log.info("Numba kernels ready in %.1f s", time.perf_counter() - t0)
    return True
