"""Dynamic micro-batching: requests that arrive together share one model call.

A model predicts a batch of 64 rows far faster than 64 batches of one (an encoder's matrix products, the linear
backend's single sparse product and Kiwi batch). Each request hands its rows to :meth:`MicroBatcher.submit` and
waits on a future; one worker thread takes the first waiting request, gathers more for up to ``max_wait_ms`` or
until ``max_rows`` rows, calls the model once and hands every request its own slice of the result. Under load the
queue fills while the model works, so batches form even with ``max_wait_ms=0``; the wait only matters when
requests trickle in. A request that finds the server idle (the previous call served a single request and nothing
is queued) does not wait at all, so a lone client pays no batching latency. The worker is the only thread that
calls the model, so the model is never called concurrently.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

Row = TypeVar("Row")
Result = TypeVar("Result")


@dataclass
class _Job(Generic[Row]):
    rows: Sequence[Row]
    future: Future = field(default_factory=Future)


class MicroBatcher(Generic[Row, Result]):
    """Gathers the rows of concurrent requests into calls of ``predict(rows) -> results`` (one result per row).

    ``on_batch(rows, requests, seconds)`` is called after every model call (for metrics). A request larger than
    ``max_rows`` is never split: it is predicted alone.
    """

    def __init__(
        self,
        predict: Callable[[list[Row]], Sequence[Result]],
        *,
        max_rows: int = 256,
        max_wait_ms: float = 5.0,
        on_batch: Callable[[int, int, float], None] | None = None,
    ) -> None:
        if max_rows < 1:
            raise ValueError(f"max_rows must be >= 1, got {max_rows}")
        if max_wait_ms < 0:
            raise ValueError(f"max_wait_ms must be >= 0, got {max_wait_ms}")
        self.predict = predict
        self.max_rows = max_rows
        self.max_wait = max_wait_ms / 1000.0
        self.on_batch = on_batch
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._last_requests = 2  # requests in the previous model call; > 1 means 'busy: wait for company'

    # ---------------------------------------------------------------- control
    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="koclassify-batcher", daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the requests already queued, then end the worker."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def submit(self, rows: Sequence[Row]) -> Future:
        """Queue ``rows``; the future's result is the list of their results, in order."""
        if not self.running:
            raise RuntimeError("the batcher is not running")
        job: _Job = _Job(rows)
        self._queue.put(job)
        return job.future

    # ----------------------------------------------------------------- worker
    def _run(self) -> None:
        carry: _Job | None = None
        while True:
            job = carry if carry is not None else self._queue.get()
            carry = None
            if job is None:
                return
            jobs, n_rows, stopping = [job], len(job.rows), False
            deadline = time.monotonic() + (self.max_wait if self._last_requests > 1 else 0.0)
            while n_rows < self.max_rows:
                left = deadline - time.monotonic()
                try:
                    nxt = self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stopping = True
                    break
                if n_rows + len(nxt.rows) > self.max_rows:
                    carry = nxt  # starts the next batch
                    break
                jobs.append(nxt)
                n_rows += len(nxt.rows)
            self._last_requests = len(jobs)
            self._call(jobs, n_rows)
            if stopping:
                self._drain()
                return

    def _drain(self) -> None:
        """Predict whatever is still queued at stop (each request alone), so no caller waits forever."""
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                return
            if job is not None:
                self._call([job], len(job.rows))

    def _call(self, jobs: list[_Job], n_rows: int) -> None:
        jobs = [j for j in jobs if j.future.set_running_or_notify_cancel()]
        if not jobs:
            return
        rows: list[Any] = [row for j in jobs for row in j.rows]
        start = time.perf_counter()
        try:
            results = list(self.predict(rows))
            if len(results) != len(rows):
                raise RuntimeError(f"the model returned {len(results)} results for {len(rows)} rows")
        except BaseException as exc:  # handed to every waiting request; the worker lives on
            for j in jobs:
                j.future.set_exception(exc)
            return
        finally:
            if self.on_batch is not None:
                self.on_batch(len(rows), len(jobs), time.perf_counter() - start)
        offset = 0
        for j in jobs:
            j.future.set_result(results[offset : offset + len(j.rows)])
            offset += len(j.rows)
