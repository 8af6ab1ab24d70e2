"""Worker processes for ``plancli batch`` that one file cannot stall or sink.

Why not ``concurrent.futures.ProcessPoolExecutor``: when one of its workers dies it cannot say
which file the worker was on, every chunk in flight is lost with it, it has no way to stop a
worker stuck on one file, and its workers outlive a parent killed with SIGKILL.

How this pool works:

* Each worker is a process with its own pipe. The parent sends it a job (a chunk of files) and
  gets back one reply per job, so the main process stays nearly idle.
* While it works, a worker notes in a small shared array which file of the chunk it is on and
  since when (:func:`file_started`): no message per file, yet the parent always knows.
* A manager thread in the parent hands out jobs, collects replies and, every ``TICK`` seconds,
  checks each busy worker's time on its current file (``timeout``) and its resident memory
  (``max_memory``, read from /proc). A worker over a limit is killed with SIGKILL, since it may be
  stuck in C code that no signal reaches, and replaced by a fresh one. The job's future then
  fails with :class:`WorkerLost` naming the file's index in the chunk and the reason
  (``timeout``, ``memory_limit``, or ``crashed`` when the worker died on its own); the caller
  decides what becomes of the chunk's files. Other workers are not disturbed.
* Workers also limit their own address space (RLIMIT_AS, ``max_memory`` beyond what they use at
  start), so that a sudden huge allocation fails with MemoryError inside the worker instead of
  waking the kernel's out-of-memory killer; after one, the worker asks to be replaced.
* Workers die with the parent: each asks the kernel for SIGKILL when its parent process goes away
  (the fork server, which exits when the main process does), watches the main process, and exits
  when its pipe closes.
"""
from __future__ import annotations

import concurrent.futures as cf
import functools
import itertools
import os
import signal
import threading
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing import connection as mpc

from plancli import limits

#: Seconds between two checks of the workers' time and memory.
TICK = 0.2

# --------------------------------------------------------------------------------------------
# In the worker

#: This worker's shared slot: [job id, index of the file in the chunk, when it started
#: (time.monotonic(), 0 while idle)]; None outside a pool worker.
_slot = None
_retire = False


def file_started(index: int) -> None:
    """Note that the worker now works on file ``index`` of its chunk (a no-op outside a pool)."""
    slot = _slot
    if slot is not None:
        slot[2] = 0.0  # readers skip a slot in the middle of a change
        slot[1] = index
        slot[2] = time.monotonic()


def retire() -> None:
    """Ask for this worker to be replaced once its job is done (after a MemoryError its heap may
    stay large and fragmented, and the next file would be blamed for it)."""
    global _retire
    if _slot is not None:
        _retire = True


def _worker(conn, slot, main_pid: int, max_memory: int | None, initializer) -> None:
    global _slot
    try:
        _die_with_parent(main_pid)
        if initializer is not None:
            initializer()
        limits.limit_address_space(max_memory)
        _slot = slot
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                break  # the parent is gone
            if message is None:
                break
            job_id, fn, args = message
            slot[0] = job_id
            file_started(0)
            try:
                reply = (job_id, True, fn(*args))
            except BaseException as exc:
                reply = (job_id, False, _plain(exc))
            slot[2] = 0.0
            try:
                conn.send(reply)
            except Exception as exc:  # a result that does not pickle, or no memory to pickle it
                conn.send((job_id, False, RuntimeError(f"{type(exc).__name__}: {exc}")))
            if _retire:
                break
    except BaseException:  # never a traceback from a worker: the parent reports what it lost
        os._exit(1)
    os._exit(0)


def _plain(exc: BaseException) -> BaseException:
    """An exception the parent can unpickle (a library's own class might not be)."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def _die_with_parent(main_pid: int) -> None:
    """SIGKILL from the kernel when the parent process exits (Linux), and a watch on the main
    process (the parent is the fork server, which could outlive it)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError, ImportError):
        pass

    def watch() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(main_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except OSError:
                pass

    threading.Thread(target=watch, daemon=True, name="plancli-parent-watch").start()


# --------------------------------------------------------------------------------------------
# In the parent

class WorkerLost(Exception):
    """The worker running a job died or was stopped.

    ``item``: index in the job's chunk of the file it was on (None if it had not begun);
    ``reason``: ``timeout``, ``memory_limit`` or ``crashed``; ``detail``: for people."""

    def __init__(self, item: int | None, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.item, self.reason, self.detail = item, reason, detail


@dataclass
class _Worker:
    process: object
    conn: object
    slot: object
    job: tuple[int, cf.Future] | None = None
    killed: tuple[str, int | None, str] | None = None  # (reason, item, detail) when we killed it


class LimitedPool(cf.Executor):
    """``jobs`` worker processes; each job's file may take ``timeout`` seconds and its worker
    ``max_memory`` bytes of resident memory (None or 0: no limit)."""

    def __init__(self, jobs: int, ctx, timeout: float | None = None, max_memory: int | None = None,
                 initializer=None):
        self._ctx, self._timeout, self._max_memory = ctx, timeout or None, max_memory or None
        self._initializer = initializer
        self._queue: deque = deque()
        self._lock = threading.Lock()
        self._ids = itertools.count()
        self._shutdown = False
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._workers = [self._start() for _ in range(max(1, jobs))]
        self._thread = threading.Thread(target=self._manage, daemon=True, name="plancli-pool")
        self._thread.start()

    # -- the executor interface

    def submit(self, fn, /, *args, **kwargs) -> cf.Future:
        if kwargs:
            fn = functools.partial(fn, **kwargs)
        future: cf.Future = cf.Future()
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot submit to a pool that is shut down")
            self._queue.append((next(self._ids), future, fn, args))
        self._wake()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shutdown = True
            if cancel_futures:
                while self._queue:
                    self._queue.popleft()[1].cancel()
        self._wake()
        if wait:
            self._thread.join()

    # -- workers

    def _start(self) -> _Worker:
        parent_end, child_end = self._ctx.Pipe()
        slot = self._ctx.RawArray("d", 3)
        process = self._ctx.Process(target=_worker, daemon=True, name="plancli-worker",
                                    args=(child_end, slot, os.getpid(), self._max_memory, self._initializer))
        process.start()
        child_end.close()
        return _Worker(process, parent_end, slot)

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except BlockingIOError:  # the manager has wake-ups pending already
            pass

    def _manage(self) -> None:
        try:
            while self._step():
                pass
        finally:
            self._stop_all()
            os.close(self._wake_r)
            os.close(self._wake_w)

    def _step(self) -> bool:
        """One round of the manager: hand out jobs, wait a tick, collect; False when finished."""
        with self._lock:
            for worker in self._workers:
                while worker.job is None and worker.killed is None and self._queue:
                    job_id, future, fn, args = self._queue.popleft()
                    if not future.set_running_or_notify_cancel():
                        continue
                    try:
                        worker.conn.send((job_id, fn, args))
                    except (OSError, ValueError) as exc:  # a dead worker's pipe: lost below
                        worker.job = (job_id, future)
                        break
                    except Exception as exc:  # arguments that do not pickle
                        future.set_exception(exc)
                        continue
                    worker.job = (job_id, future)
            busy = any(w.job for w in self._workers)
            if self._shutdown and not busy and not self._queue:
                return False
        waiting = [self._wake_r] + [w.conn for w in self._workers] + [w.process.sentinel for w in self._workers]
        ready = set(mpc.wait(waiting, timeout=TICK))
        if self._wake_r in ready:
            os.read(self._wake_r, 4096)
        for worker in list(self._workers):
            if worker.conn in ready:
                self._receive(worker)
            if worker.process.sentinel in ready:
                self._replace(worker)
        self._check_limits()
        return True

    def _receive(self, worker: _Worker) -> None:
        try:
            job_id, ok, value = worker.conn.recv()
        except (EOFError, OSError):
            return  # the worker died: its sentinel says so
        except Exception as exc:  # a reply that does not unpickle
            job_id, ok, value = (worker.job[0] if worker.job else -1), False, exc
        if worker.job is None or worker.job[0] != job_id:
            return
        future = worker.job[1]
        worker.job = None
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

    def _replace(self, worker: _Worker) -> None:
        """The worker's process ended: fail its job, if any, and start another in its place."""
        if worker.conn.poll():  # its last reply came in as it exited (a retiring worker)
            self._receive(worker)
        worker.process.join()
        if worker.job is not None:
            future = worker.job[1]
            if worker.killed is not None:
                reason, item, detail = worker.killed
            else:
                reason, item, detail = "crashed", self._current_item(worker), _exit_detail(worker.process.exitcode)
            future.set_exception(WorkerLost(item, reason, detail))
            worker.job = None
        worker.conn.close()
        index = self._workers.index(worker)
        if self._shutdown and not self._queue:
            self._workers.pop(index)
        else:
            self._workers[index] = self._start()

    @staticmethod
    def _current_item(worker: _Worker) -> int | None:
        return int(worker.slot[1]) if worker.slot[2] else None

    def _check_limits(self) -> None:
        now = time.monotonic()
        for worker in self._workers:
            if worker.job is None or worker.killed is not None:
                continue
            started = worker.slot[2]
            item = int(worker.slot[1])
            if not started or worker.slot[2] != started:
                continue  # idle, or moving to its next file right now
            if self._timeout and now - started > self._timeout:
                self._kill(worker, "timeout", item, f"over --timeout {self._timeout:g} s")
                continue
            if self._max_memory:
                rss = limits.resident_memory(worker.process.pid)
                if rss is not None and rss > self._max_memory:
                    self._kill(worker, "memory_limit", item, f"{limits.format_size(rss)} resident, over "
                                                             f"--max-memory {limits.format_size(self._max_memory)}")

    def _kill(self, worker: _Worker, reason: str, item: int, detail: str) -> None:
        worker.killed = (reason, item, detail)
        try:
            os.kill(worker.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def _stop_all(self) -> None:
        for worker in self._workers:
            try:
                worker.conn.send(None)
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + 5
        for worker in self._workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            if worker.job is not None:
                worker.job[1].set_exception(WorkerLost(None, "crashed", "stopped when the pool shut down"))
            worker.conn.close()
        self._workers = []


def _exit_detail(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"killed by {name}" + (" (out of memory?)" if -exitcode == signal.SIGKILL else "")
    return f"exited with status {exitcode}"
