"""A process-wide stop request, so SIGTERM ends a run cleanly instead of mid-write.

Collectors check `requested()` between items: the item in flight finishes and
its row is stored, the run is recorded as `partial`, and the process exits.
"""

import signal
import threading

_STOP = threading.Event()


def requested() -> bool:
    return _STOP.is_set()


def request() -> None:
    _STOP.set()


def reset() -> None:
    _STOP.clear()


def install(on_stop=None) -> None:
    """SIGTERM and SIGINT set the flag (and call `on_stop`, e.g. to stop a scheduler)."""
    def handler(_signum, _frame):
        request()
        if on_stop:
            on_stop()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, handler)
