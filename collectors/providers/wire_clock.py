"""When a request really left and when each piece of its answer really arrived.

Why: an SDK spends about a millisecond building a request, and a fraction of a
millisecond turning each streamed chunk into objects (much more when many
streams share one process). Timing at the SDK's surface would count that
client-side work as the model's latency. Hooks on the SDK's own HTTP client
stamp the wire instead: the request hook notes the send, and the response hook
wraps the body so every network read notes its arrival. A content delta is then
timed by the read that carried its bytes.

The stamps are thread-local: the sync SDKs send and read in the calling thread,
so each request in a thread pool sees its own.
"""

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx2

_WIRE = threading.local()


def sent_at() -> float | None:
    """Monotonic time the last request of this thread started going out, or None."""
    return getattr(_WIRE, "sent", None)


def arrived_at() -> float | None:
    """Monotonic time of this thread's last network read of a response body, or None."""
    return getattr(_WIRE, "arrived", None)


class _StampedStream(httpx2.SyncByteStream):
    def __init__(self, inner: httpx2.SyncByteStream):
        self._inner = inner

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            _WIRE.arrived = time.monotonic()
            yield chunk

    def close(self) -> None:
        self._inner.close()


def _mark_sent(request: httpx2.Request) -> None:
    _WIRE.sent, _WIRE.arrived = time.monotonic(), None
    request.extensions["trace"] = _on_transport_event


def _on_transport_event(name: str, _info: dict) -> None:
    """Re-stamp the send once a connection is in hand and the request starts going out.

    Why: connection set-up (TCP, TLS) depends on the client's pooling, not on the
    model: the sync OpenAI SDK drops the connection after every stream, so each
    request would otherwise pay a connect, and under concurrency a thread waiting
    for the GIL after its connect would count that wait too.
    """
    if name.endswith(".send_request_headers.started"):
        _WIRE.sent = time.monotonic()


def _stamp_reads(response: httpx2.Response) -> None:
    response.stream = _StampedStream(response.stream)


def timed_client(timeout: float) -> httpx2.Client:
    """An HTTP client for the SDKs (`http_client=`) that stamps sends and reads."""
    return httpx2.Client(timeout=timeout, event_hooks={"request": [_mark_sent], "response": [_stamp_reads]})


FEW_STREAMS = 8
FEW_STREAMS_SWITCH_S = 0.0002


@contextmanager
def prompt_stamps(streams: int) -> Iterator[None]:
    """Shorter GIL hand-offs while a few concurrent streams are timed in one process.

    Why: a thread whose bytes just arrived waits for the GIL before it can stamp
    them, up to Python's 5 ms switch interval. With up to 8 streams a 0.2 ms
    interval brings the p95 TTFT error from about 3.4 ms to under 2 ms
    (bench/latency_accuracy.py); with 32 the extra hand-offs cost more than they
    save, so many streams keep the default.
    """
    previous = sys.getswitchinterval()
    if 1 < streams <= FEW_STREAMS:
        sys.setswitchinterval(FEW_STREAMS_SWITCH_S)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)
