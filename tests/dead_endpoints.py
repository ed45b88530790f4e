"""Endpoints that fail at the network level, for fault tests: nothing to mock, the kernel does it."""

import socket
from collections.abc import Iterator
from contextlib import contextmanager

HOST = "127.0.0.1"


@contextmanager
def unresponsive_endpoint() -> Iterator[str]:
    """A base_url on 127.0.0.1 where TCP connects hang, so a client's connect timeout fires.

    A listener with backlog 0 that never accepts holds one connection in its queue;
    with that slot taken, Linux drops further SYNs (tcp_abort_on_overflow=0, the
    default), so the next connect waits on SYN retransmits instead of failing.
    """
    with socket.socket() as listener:
        listener.bind((HOST, 0))
        listener.listen(0)
        fillers: list[socket.socket] = []
        try:
            while _connects(listener.getsockname(), fillers):
                if len(fillers) > 8:
                    raise RuntimeError("connects to a full backlog do not hang on this kernel")
            yield f"http://{HOST}:{listener.getsockname()[1]}/v1"
        finally:
            for sock in fillers:
                sock.close()


def _connects(address: tuple[str, int], fillers: list[socket.socket]) -> bool:
    """One more connection to `address`; False once connects hang (the backlog is full)."""
    fillers.append(sock := socket.socket())
    sock.settimeout(0.2)
    try:
        sock.connect(address)
    except TimeoutError:
        return False
    return True


def closed_port_url(path: str = "/v1") -> str:
    """A URL on 127.0.0.1 where nothing listens (bound, then released): connects are refused."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return f"http://{HOST}:{sock.getsockname()[1]}{path}"
