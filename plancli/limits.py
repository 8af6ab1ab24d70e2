"""Per-file time and memory limits, and how a file that exceeds one is reported.

One hostile or unlucky file (a PDF whose page contents loop, a zip that lies about its size)
must not stall or sink a whole run. ``plancli batch`` enforces the limits from outside, in
:mod:`plancli.pool` (a worker over its time or memory is stopped and replaced); ``plancli
extract`` runs in one process and uses the in-process means here: an interval timer that
interrupts the file (``re`` and pdfminer check for signals while they run) and an address-space
limit that makes an allocation beyond it fail with ``MemoryError`` instead of waking the
kernel's out-of-memory killer.

Either way the file becomes an error entry of kind ``timeout`` or ``memory_limit`` with one line,
never an ``internal_error`` or ``corrupt``: :func:`limit_error` recognises a ``MemoryError`` even
when a reader has wrapped it in its own error.
"""
from __future__ import annotations

import contextlib
import re
import signal
import threading
from typing import Callable, Iterator

from plancli.read import InputError

#: ``plancli batch`` defaults: a file may take this many seconds and its worker this much memory.
DEFAULT_TIMEOUT = 120.0
DEFAULT_MAX_MEMORY = 2 * 1024**3


class FileTimeout(BaseException):
    """Raised in the main thread when the file's time is up.

    A BaseException, like KeyboardInterrupt, so that readers which turn every ``Exception`` into
    "corrupt file" (``except Exception``) let it through."""


def timeout_error(seconds: float) -> InputError:
    return InputError("timeout", f"took longer than --timeout {seconds:g} s; stopped (raise the limit with "
                                 "--timeout, or 0 for none)")


#: The address-space limit this process set on itself (:func:`limit_address_space`), for messages.
_own_limit: int | None = None


def memory_error(limit: int | None = None) -> InputError:
    limit = limit or _own_limit
    if limit:
        return InputError("memory_limit", f"needed more than --max-memory {format_size(limit)}; stopped (raise "
                                          "the limit with --max-memory, or 0 for none)")
    return InputError("memory_limit", "ran out of memory")


def limit_error(exc: BaseException, timeout: float | None = None, max_memory: int | None = None) -> InputError | None:
    """The error entry for a file stopped by a limit, or None when ``exc`` is something else.

    The readers re-raise library failures as ``InputError("corrupt", …)``; a ``MemoryError``
    inside one of them is still found through the exception's context chain."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, FileTimeout):
            return timeout_error(timeout or 0)
        if isinstance(exc, MemoryError):
            return memory_error(max_memory)
        exc = exc.__cause__ or exc.__context__
    return None


def time_limit(seconds: float | None) -> contextlib.AbstractContextManager[None]:
    """Raise :class:`FileTimeout` in this thread after ``seconds`` of wall time (none: no limit).

    Only the main thread receives signals, so elsewhere (a library user's thread) this is a no-op.
    """
    return interrupt_after(seconds, FileTimeout)


@contextlib.contextmanager
def interrupt_after(seconds: float | None, error: Callable[[], BaseException], cpu: bool = False) -> Iterator[None]:
    """Raise ``error()`` in the main thread after ``seconds`` of wall time, or of this process's
    CPU time with ``cpu`` (a busy machine then does not count). Elsewhere, on a platform without
    interval timers, or with no ``seconds``, nothing is limited."""
    if not seconds or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return
    signum, timer = (signal.SIGPROF, signal.ITIMER_PROF) if cpu else (signal.SIGALRM, signal.ITIMER_REAL)

    def expired(signum, frame):
        raise error()

    old = signal.signal(signum, expired)
    signal.setitimer(timer, seconds)
    try:
        yield
    finally:
        signal.setitimer(timer, 0)
        signal.signal(signum, old)


def address_space() -> int | None:
    """This process's virtual memory size in bytes (Linux), else None."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * _page_size()
    except (OSError, ValueError, IndexError):
        return None


def resident_memory(pid: int) -> int | None:
    """Resident memory of process ``pid`` in bytes (Linux /proc), else None."""
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * _page_size()
    except (OSError, ValueError, IndexError):
        return None


def _page_size() -> int:
    import os

    return os.sysconf("SC_PAGE_SIZE")


def limit_address_space(max_memory: int | None) -> bool:
    """Let this process grow by at most ``max_memory`` bytes beyond what it uses now
    (RLIMIT_AS): an allocation beyond fails with MemoryError. True when the limit is in place."""
    if not max_memory:
        return False
    try:
        import resource
    except ImportError:  # not on this platform
        return False
    current = address_space()
    if current is None:
        return False
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = current + max_memory
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    except (ValueError, OSError):
        return False
    global _own_limit
    _own_limit = max_memory
    return True


_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*", re.I)
_UNITS = {"": 1024**2, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_size(text: str) -> int:
    """``"2G"``, ``"512M"``, ``"1.5GiB"`` → bytes; a plain number is MiB; ``0`` or ``none`` → 0."""
    if text.strip().lower() in ("0", "none", "off", "unlimited"):
        return 0
    m = _SIZE.fullmatch(text)
    if not m:
        raise ValueError(f"not a size: {text!r} (examples: 2G, 512M, 0 for no limit)")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def format_size(n: int) -> str:
    for unit, size in (("G", 1024**3), ("M", 1024**2), ("K", 1024)):
        if n >= size:
            value = n / size
            return f"{value:.0f}{unit}" if value >= 10 or value.is_integer() else f"{value:.1f}{unit}"
    return f"{n}B"
