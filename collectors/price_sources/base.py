"""What every price source hands over, and the checks they share.

Each importer only knows its own format. Fetching, number checks and the
problem list live here, so every source treats bad input alike: a broken
entry is skipped and named (JSON path and key), never stored as truth, and a
payload that cannot be read at all changes nothing already stored.
"""

import json
import logging
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import ClassVar

import httpx
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from core.redaction import redact

FETCH_ATTEMPTS = 3
USER_AGENT = "GapWatch price importer"


class _RedactedUrls(logging.Filter):
    """httpx logs every request URL at INFO: a key pasted into a configured URL must not reach a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), ()
        return True


logging.getLogger("httpx").addFilter(_RedactedUrls())


class BadEntry(ValueError):
    """One entry is unusable; the message starts with its JSON path."""


class BadPayload(ValueError):
    """The whole payload is unusable; nothing from this source is applied."""


@dataclass(frozen=True)
class Price:
    """One observed price in USD per million tokens, under the source's own name."""

    source_name: str
    usd_per_mtok_in: float
    usd_per_mtok_out: float
    usd_per_mtok_cached_in: float | None = None
    host_provider: str | None = None
    model_id: str | None = None  # known up front (price book, local models); else from aliases
    effective_from: date | None = None  # dated sources only; imports are dated by the run's day
    effective_to: date | None = None
    estimated: bool = False


@dataclass
class Observation:
    """What one source showed this run; `failed` means: apply nothing from it."""

    source: str
    where: str  # the URL, or the file, the prices came from
    prices: list[Price] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    n_entries: int = 0
    failed: str | None = None


class PriceSource(ABC):
    """A source of prices; `dated` sources state their own periods (the price book)."""

    name: ClassVar[str]
    dated: ClassVar[bool] = False

    @abstractmethod
    def observe(self) -> Observation:
        """Read the source now; never raises for bad or missing input."""


class PayloadSource(PriceSource):
    """A JSON document at a URL, parsed entry by entry."""

    def __init__(self, url: str, timeout_s: float = 30.0):
        self.url, self.timeout_s = url, timeout_s

    def observe(self) -> Observation:
        seen = Observation(self.name, self.url)
        try:
            self.parse(fetch_json(self.url, self.timeout_s), seen)
        except BadPayload as exc:
            seen.prices, seen.failed = [], f"{self.url}: {exc}"
        return seen

    @abstractmethod
    def parse(self, payload, seen: Observation) -> None:
        """Fill `seen` from the payload; raise BadPayload if its shape is wrong."""


def per_mtok(entry: dict, key: str, path: str, required: bool = True) -> float | None:
    """USD per token (a number or a numeric string) -> USD per million tokens, exactly."""
    value = entry.get(key)
    if value is None:
        if required:
            raise BadEntry(f"{path}.{key}: missing")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise BadEntry(f"{path}.{key}: not a number ({value!r})")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise BadEntry(f"{path}.{key}: not a number ({value!r})") from None
    if not number.is_finite() or not math.isfinite(float(number) * 1e6):
        raise BadEntry(f"{path}.{key}: not a finite number ({value!r})")
    if number < 0:
        raise BadEntry(f"{path}.{key}: negative price ({value!r})")
    return float(number * 1_000_000)


def drop_duplicates(seen: Observation, twice: dict[str, str]) -> None:
    """A name listed twice is ambiguous: keep neither copy, and say where they were."""
    for name, where in twice.items():
        seen.problems.append(f"{where}: {name!r} listed twice")
    seen.prices = [p for p in seen.prices if p.source_name not in twice]


def fetch_json(url: str, timeout_s: float, body: dict | None = None):
    """GET (or POST `body`) and parse; retried on connect errors and 5xx, then one BadPayload."""
    try:
        for attempt in Retrying(stop=stop_after_attempt(FETCH_ATTEMPTS), reraise=True,
                                wait=wait_exponential(multiplier=0.5, max=8),
                                retry=retry_if_exception(_worth_retrying)):
            with attempt:
                response = _send(url, timeout_s, body)
    except httpx.HTTPStatusError as exc:
        raise BadPayload(f"HTTP {exc.response.status_code} {exc.response.reason_phrase}") from None
    except httpx.HTTPError as exc:
        raise BadPayload(f"cannot fetch ({type(exc).__name__}: {exc or 'no detail'})") from None
    try:
        return json.loads(response.content, object_pairs_hook=Pairs.of)
    except (ValueError, RecursionError) as exc:
        raise BadPayload(f"payload is not JSON ({exc})") from None


def _send(url: str, timeout_s: float, body: dict | None) -> httpx.Response:
    timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0))
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if body is None:
        response = httpx.get(url, timeout=timeout, headers=headers, follow_redirects=True)
    else:
        response = httpx.post(url, json=body, timeout=timeout, headers=headers)
    response.raise_for_status()
    return response


def _worth_retrying(exc: BaseException) -> bool:
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code >= 500
    return isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError))


class Pairs(dict):
    """A JSON object that remembers keys it saw twice (json keeps the last one silently)."""

    duplicates: frozenset = frozenset()

    @classmethod
    def of(cls, pairs: list[tuple]) -> "Pairs":
        obj = cls(pairs)
        if len(obj) < len(pairs):
            keys = [k for k, _ in pairs]
            obj.duplicates = frozenset(k for k in keys if keys.count(k) > 1)
        return obj
