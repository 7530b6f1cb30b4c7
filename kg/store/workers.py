"""Engine queries in forked worker processes, so that a deadline can really end one.

pyoxigraph cannot cancel a query, and a thread cannot be killed: a runaway aggregate left
in a thread burns a core until it finishes. A process can be killed. Each worker is a
``fork()`` of the server taken while no write is under way, so it holds a copy-on-write
snapshot of the store (in memory or on disk, same code). A write makes the snapshot stale:
the store bumps the generation and stale workers are retired, so a query never sees data
older than the last write that returned before it started. Idle workers of the current
generation are reused, so a query costs a pipe round trip, not a fork.

Limits enforced here: ``concurrency`` queries at once (beyond it, after a short wait,
``QueryBusy``: 503 with Retry-After), and the deadline (past it, SIGKILL and
``QueryTimeout``: the CPU stops at once, the server's other work is untouched).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import pickle
import queue
import select
import signal
import stat
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kg import errors
from kg.errors import QueryBusy, QueryTimeout, StoreUnavailable

_LENGTH = struct.Struct("!Q")
#: How long a query may wait for a free slot before 503 (absorbs bursts of quick queries).
SLOT_WAIT = 0.25
#: How long a fresh worker may take to answer its first read (a fork can catch an engine
#: lock held by a background thread; such a worker is replaced).
PROBE_TIMEOUT = 2.0
_PR_SET_PDEATHSIG = 1


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def send(fd: int, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    _write_all(fd, _LENGTH.pack(len(data)) + data)


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes:
    chunks: list[bytes] = []
    while size:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def receive(fd: int, deadline: float | None = None) -> Any:
    (size,) = _LENGTH.unpack(_read_exact(fd, _LENGTH.size, deadline))
    return pickle.loads(_read_exact(fd, size, deadline))


async def _receive_async(loop: asyncio.AbstractEventLoop, fd: int) -> Any:
    """One framed message from ``fd``, read whenever the event loop sees it readable."""
    done: asyncio.Future[bytes] = loop.create_future()
    buffer = bytearray()
    wanted: list[int] = []

    def readable() -> None:
        error: Exception | None
        try:
            chunk = os.read(fd, 1 << 20)
        except OSError as exc:
            chunk, error = b"", exc
        else:
            error = EOFError() if not chunk else None
        if error is not None:
            loop.remove_reader(fd)
            if not done.done():
                done.set_exception(error)
            return
        buffer.extend(chunk)
        if not wanted and len(buffer) >= _LENGTH.size:
            wanted.append(_LENGTH.size + _LENGTH.unpack_from(buffer)[0])
        if wanted and len(buffer) >= wanted[0]:
            loop.remove_reader(fd)
            if not done.done():
                done.set_result(bytes(buffer[_LENGTH.size:wanted[0]]))

    loop.add_reader(fd, readable)
    try:
        return pickle.loads(await done)
    finally:
        loop.remove_reader(fd)


def _close_inherited_channels(keep: set[int]) -> None:
    """A worker must not hold the server's sockets and pipes: a client whose connection the
    server closed, or a child process whose stdin pipe the server closed (another worker, a
    browser driver in tests), would otherwise never see the close. Files stay open: the
    engine's on-disk store is read through them."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd in keep:
            continue
        with contextlib.suppress(OSError):
            mode = os.fstat(fd).st_mode
            if stat.S_ISSOCK(mode) or stat.S_ISFIFO(mode):
                os.close(fd)


def _child_main(requests: int, replies: int, execute: Callable[[Any], Any],
                parent: int) -> None:
    """The worker's loop: one request in, one reply out, until the pipe closes."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    with contextlib.suppress(ValueError, OSError):
        signal.set_wakeup_fd(-1)  # the server's event loop must not hear our signals
    with contextlib.suppress(OSError, AttributeError):
        _close_inherited_channels({0, 1, 2, requests, replies})
    with contextlib.suppress(OSError, AttributeError):
        # Die with the server (the forking thread lives as long as the pool).
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(0)
    while True:
        try:
            request = receive(requests)
        except (EOFError, OSError):
            os._exit(0)
        try:
            reply: Any = ("ok", execute(request))
        except errors.DskgError as exc:
            reply = ("error", type(exc).__name__, exc.message, exc.extra)
        except BaseException as exc:
            reply = ("error", "StoreUnavailable", f"query worker error: {exc}", {})
        try:
            send(replies, reply)
        except OSError:
            os._exit(0)


def _raise(name: str, message: str, extra: dict[str, Any]) -> None:
    cls = getattr(errors, name, None)
    if not (isinstance(cls, type) and issubclass(cls, errors.DskgError)):
        cls = StoreUnavailable
    exc = cls.__new__(cls)
    errors.DskgError.__init__(exc, message, **extra)
    raise exc


@dataclass
class _Worker:
    pid: int
    to_child: int
    from_child: int
    generation: int
    uses: int = 0


@dataclass
class _ForkOrder:
    done: threading.Event = field(default_factory=threading.Event)
    worker: _Worker | None = None
    error: BaseException | None = None


def _closed(request: Any) -> Any:
    raise RuntimeError("the query pool is closed")


class QueryPool:
    """Forked query workers over one engine; ``execute(request)`` runs in a worker."""

    def __init__(self, execute: Callable[[Any], Any], concurrency: int,
                 write_lock: threading.RLock, probe: Any = None) -> None:
        self._execute = execute
        self.concurrency = max(1, concurrency)
        self._write_lock = write_lock
        self._probe = probe
        self._slots = threading.BoundedSemaphore(self.concurrency)
        self._mutex = threading.Lock()
        self._idle: list[_Worker] = []
        self._retired: list[int] = []
        self.generation = 0
        self._orders: queue.Queue[_ForkOrder | None] = queue.Queue()
        self._forker = threading.Thread(target=self._fork_loop, daemon=True,
                                        name="dskg-query-forker")
        self._forker.start()
        self.closed = False

    # -- the forking thread ---------------------------------------------------------------
    def _fork_loop(self) -> None:
        while True:
            order = self._orders.get()
            if order is None:
                return
            try:
                order.worker = self._fork()
            except BaseException as exc:
                order.error = exc
            order.done.set()

    def _fork(self) -> _Worker:
        down_r, down_w = os.pipe()
        up_r, up_w = os.pipe()
        parent = os.getpid()
        with self._write_lock:  # no write half-done in the snapshot
            generation = self.generation
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child never returns
                try:
                    os.close(down_w)
                    os.close(up_r)
                    _child_main(down_r, up_w, self._execute, parent)
                finally:
                    os._exit(0)
        os.close(down_r)
        os.close(up_w)
        return _Worker(pid, down_w, up_r, generation)

    def _new_worker(self, deadline: float) -> _Worker:
        for _attempt in range(3):
            order = _ForkOrder()
            self._orders.put(order)
            if not order.done.wait(max(0.0, deadline - time.monotonic())):
                raise QueryTimeout("the query could not start before its deadline")
            if order.error is not None:
                raise StoreUnavailable(f"cannot start a query worker: {order.error}")
            worker = order.worker
            assert worker is not None
            if self._probe is None:
                return worker
            try:
                send(worker.to_child, self._probe)
                reply = receive(worker.from_child,
                                min(deadline, time.monotonic() + PROBE_TIMEOUT))
                if reply[0] == "ok":
                    return worker
            except (TimeoutError, EOFError, OSError):
                pass
            self._kill(worker)
        raise StoreUnavailable("query workers do not answer; try again")

    # -- workers ---------------------------------------------------------------------------
    def _take_idle(self) -> _Worker | None:
        with self._mutex:
            self._reap()
            while self._idle:
                worker = self._idle.pop()
                if worker.generation == self.generation:
                    return worker
                self._retire(worker)
        return None

    def _take(self, deadline: float) -> _Worker:
        return self._take_idle() or self._new_worker(deadline)

    def _give_back(self, worker: _Worker) -> None:
        with self._mutex:
            if (worker.generation == self.generation and not self.closed
                    and len(self._idle) < self.concurrency):
                self._idle.append(worker)
            else:
                self._retire(worker)

    def _retire(self, worker: _Worker) -> None:
        """Close its pipes: the idle worker reads end-of-file and exits by itself."""
        for fd in (worker.to_child, worker.from_child):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._retired.append(worker.pid)

    def _reap(self) -> None:
        still = []
        for pid in self._retired:
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                continue
            if not done:
                still.append(pid)
        self._retired = still

    def _kill(self, worker: _Worker) -> None:
        """SIGKILL and wait: when this returns, the worker uses no CPU any more."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(worker.pid, 0)
        for fd in (worker.to_child, worker.from_child):
            with contextlib.suppress(OSError):
                os.close(fd)

    def invalidate(self) -> None:
        """A write happened (call with the write lock held): later queries need a fresh
        snapshot; idle workers are retired now, busy ones when they finish."""
        with self._mutex:
            self.generation += 1
            for worker in self._idle:
                self._retire(worker)
            self._idle = []

    # -- queries ---------------------------------------------------------------------------
    def run(self, request: Any, timeout: float) -> Any:
        """Run ``request`` in a worker; the result of ``execute`` or its DskgError."""
        if not self._slots.acquire(timeout=SLOT_WAIT):
            raise QueryBusy(f"{self.concurrency} queries are already running (the node's "
                            "DSKG_QUERY_CONCURRENCY); try again shortly", retry_after=1)
        try:
            deadline = time.monotonic() + timeout
            worker = self._take(deadline)
            try:
                send(worker.to_child, request)
                reply = receive(worker.from_child, deadline)
            except TimeoutError:
                self._kill(worker)
                raise QueryTimeout(f"the query ran longer than {timeout:g} s and was "
                                   "stopped (its process was ended)") from None
            except (EOFError, OSError, pickle.UnpicklingError):
                self._kill(worker)
                raise StoreUnavailable("the query's worker process ended unexpectedly"
                                       ) from None
            worker.uses += 1
            self._give_back(worker)
        finally:
            self._slots.release()
        if reply[0] == "error":
            _raise(*reply[1:])
        return reply[1]

    async def run_async(self, request: Any, timeout: float) -> Any:
        """``run`` for the event loop: the reply is read when the pipe is readable, so a
        quick query costs no thread hand-over (a fork, when needed, runs in a thread)."""
        loop = asyncio.get_running_loop()
        if not self._slots.acquire(blocking=False) and not await loop.run_in_executor(
                None, self._slots.acquire, True, SLOT_WAIT):
            raise QueryBusy(f"{self.concurrency} queries are already running (the node's "
                            "DSKG_QUERY_CONCURRENCY); try again shortly", retry_after=1)
        try:
            deadline = time.monotonic() + timeout
            worker = self._take_idle()
            if worker is None:
                worker = await loop.run_in_executor(None, self._new_worker, deadline)
            try:
                send(worker.to_child, request)
                reply = await asyncio.wait_for(_receive_async(loop, worker.from_child),
                                               max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                await loop.run_in_executor(None, self._kill, worker)
                raise QueryTimeout(f"the query ran longer than {timeout:g} s and was "
                                   "stopped (its process was ended)") from None
            except (EOFError, OSError, pickle.UnpicklingError):
                await loop.run_in_executor(None, self._kill, worker)
                raise StoreUnavailable("the query's worker process ended unexpectedly"
                                       ) from None
            except BaseException:  # cancelled (client gone): the worker's state is unknown
                self._kill(worker)
                raise
            worker.uses += 1
            self._give_back(worker)
        finally:
            self._slots.release()
        if reply[0] == "error":
            _raise(*reply[1:])
        return reply[1]

    def close(self) -> None:
        with self._mutex:
            self.closed = True
            for worker in self._idle:
                self._retire(worker)
            self._idle = []
            # The forking thread may outlive this call: let go of the engine now, so that
            # closing the store releases its on-disk lock at once.
            self._execute = _closed
        self._orders.put(None)
        for pid in self._retired:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        self._retired = []
