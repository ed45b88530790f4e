"""Download one public file to disk: retried on network faults, refused when it comes short.

Why not `price_sources.base.fetch_json`: these files are large (Arena's full history is about
60 MB of Parquet) and binary, so they stream to a file; and a body shorter than the server
announced (a dropped connection) must be named as a partial download, not parsed.
"""

from pathlib import Path

import httpx
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from core.redaction import redact
from warehouse.ingestion.public_formats import SourceProblem

ATTEMPTS = 3
USER_AGENT = "GapWatch public history refresh"


def fetch(family: str, url: str, dest: Path, timeout_s: float) -> Path:
    """`url` into `dest`; one SourceProblem naming the source and URL when it cannot."""
    try:
        for attempt in Retrying(stop=stop_after_attempt(ATTEMPTS), reraise=True,
                                wait=wait_exponential(multiplier=0.5, max=8),
                                retry=retry_if_exception(_worth_retrying)):
            with attempt:
                _download(url, dest, timeout_s)
    except httpx.HTTPStatusError as exc:
        raise _problem(family, url, f"HTTP {exc.response.status_code} "
                                    f"{exc.response.reason_phrase}") from None
    except Partial as exc:
        raise _problem(family, url, str(exc)) from None
    except httpx.RemoteProtocolError as exc:
        raise _problem(family, url, f"partial download, the connection ended early ({exc})") from None
    except httpx.HTTPError as exc:
        raise _problem(family, url, f"unreachable ({type(exc).__name__}: {exc or 'no detail'})") from None
    except OSError as exc:
        raise _problem(family, url, f"cannot write the download to {dest}: {exc.strerror}") from None
    return dest


class Partial(Exception):
    """The body ended before the length the server announced."""


def _download(url: str, dest: Path, timeout_s: float) -> None:
    timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0))
    with httpx.stream("GET", url, timeout=timeout, follow_redirects=True,
                      headers={"User-Agent": USER_AGENT}) as response:
        response.raise_for_status()
        with dest.open("wb") as out:
            for chunk in response.iter_raw():
                out.write(chunk)
        announced = response.headers.get("content-length")
        got = response.num_bytes_downloaded
        if announced and announced.isdigit() and int(announced) != got:
            raise Partial(f"partial download: {got:,} of {int(announced):,} bytes")
    if response.headers.get("content-encoding", "identity") != "identity":
        _decode(dest, response.headers["content-encoding"])


def _decode(dest: Path, encoding: str) -> None:
    """iter_raw keeps the bytes as sent (so their count matches Content-Length); undo a gzip."""
    import gzip

    if encoding == "gzip":
        dest.write_bytes(gzip.decompress(dest.read_bytes()))


def _worth_retrying(exc: BaseException) -> bool:
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code >= 500 or exc.response.status_code == 429
    return isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadTimeout,
                            httpx.RemoteProtocolError, Partial))


def _problem(family: str, url: str, what: str) -> SourceProblem:
    return SourceProblem(redact(f"{family}: {url}: {what}"))
