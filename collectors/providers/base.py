"""The provider interface: one chat call, timed, and every fault turned into a ChatResult.

Latency is only comparable across providers if every adapter times the same
moments on the same clock and treats faults alike, so the timing record, the
error classes and the retry policy live here. An adapter only drives its SDK
and says which SDK exception means which error class.
"""

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import ClassVar, TypeVar

import httpx2
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from collectors.providers import wire_clock
from core.redaction import redact
from core.errors import GapWatchError

ERROR_CLASSES = ("connect_timeout", "read_timeout", "rate_limited", "server_error", "auth_error",
                 "unknown_model", "truncated_stream", "invalid_chunk", "missing_usage", "bad_request",
                 "connection_error")
# Worth another try: the request never reached a model, or the server said "later".
RETRYABLE = frozenset({"rate_limited", "server_error", "connect_timeout", "connection_error"})
RETRY_AFTER_CAP_S = 30.0  # a Retry-After of an hour must not stall a whole collection run
ERROR_MAX_CHARS = 280
MODEL_NOT_FOUND_CODES = frozenset({"model_not_found", "not_found_error"})
# The key an SDK gets when the model has none. Never None: both SDKs would then read
# OPENAI_API_KEY / ANTHROPIC_API_KEY and send that key to whatever base_url this is.
NO_KEY = "no-key"
T = TypeVar("T")


@dataclass
class ChatRequest:
    model: str                    # the name the API expects
    messages: list[dict]          # OpenAI-style [{"role": "user", "content": "..."}]
    max_tokens: int
    temperature: float = 0.0
    stream: bool = True
    extra_body: dict = field(default_factory=dict)   # e.g. {"cache_prompt": False} for llama.cpp


@dataclass
class ChatResult:
    text: str
    input_tokens: int | None
    output_tokens: int | None     # from the API's usage; None when the API gave none
    ttft_s: float | None          # seconds from just before sending to the first non-empty content delta
    e2e_s: float                  # seconds from just before sending to the end (or failure)
    chunk_times_s: list[float]    # arrival time (same origin) of every non-empty content delta
    http_status: int | None
    error_class: str | None       # None on success, else one of ERROR_CLASSES
    error: str | None             # short, one line, redacted
    attempts: int = 1
    served_model: str | None = None
    server_timings: dict | None = None  # llama.cpp's "timings" object if present
    system_fingerprint: str | None = None  # the backend build the API says answered, if it says
    model_headers: dict | None = None  # response headers naming a model or its version


class ProviderFault(Exception):
    """One failed attempt, already classified; `retry_after_s` is the server's wish, if any."""

    def __init__(self, error_class: str, message: str, http_status: int | None = None,
                 retry_after_s: float | None = None):
        if error_class not in ERROR_CLASSES:
            raise ValueError(f"unknown error class {error_class!r}")
        super().__init__(message)
        self.error_class, self.http_status, self.retry_after_s = error_class, http_status, retry_after_s


class Timing:
    """What one attempt saw, on one monotonic origin taken just before the request is sent."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.t_end: float | None = None
        self.parts: list[str] = []
        self.chunk_times: list[float] = []
        self.started = False   # response headers arrived: a transport fault now cuts a stream
        self.finished = False  # the stream's own end marker arrived (finish_reason, message_stop)
        self.http_status: int | None = None
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        self.served_model: str | None = None
        self.server_timings: dict | None = None
        self.system_fingerprint: str | None = None
        self.model_headers: dict | None = None

    def take_headers(self, headers: Mapping[str, str]) -> None:
        """Keep the headers that name the model or its version (`openai-model`,
        `x-model-version`, ...): a provider may say there what its body does not."""
        found = {name.lower(): value for name, value in headers.items() if "model" in name.lower()}
        self.model_headers = found or None

    def from_wire_send(self) -> None:
        """Re-origin on the moment the request left (wire_clock), not on SDK set-up."""
        sent = wire_clock.sent_at()
        self.t0 = sent if sent is not None and sent >= self.t0 else self.t0

    def content(self, text: str | None) -> None:
        """Record a content delta, timed by the network read that carried it.

        Empty deltas (role-only, keep-alive) are not tokens.
        """
        if text:
            arrived = wire_clock.arrived_at()
            at = arrived if arrived is not None and arrived >= self.t0 else time.monotonic()
            self.chunk_times.append(at - self.t0)
            self.parts.append(text)

    def end(self) -> None:
        self.t_end = time.monotonic()

    def result(self, attempts: int, stream: bool, fault: ProviderFault | None = None) -> ChatResult:
        return ChatResult(
            text="".join(self.parts), input_tokens=self.input_tokens, output_tokens=self.output_tokens,
            ttft_s=self.chunk_times[0] if stream and self.chunk_times else None,
            e2e_s=(self.t_end or time.monotonic()) - self.t0, chunk_times_s=list(self.chunk_times),
            http_status=self.http_status if self.started or not fault else fault.http_status,
            error_class=fault.error_class if fault else None, error=str(fault) if fault else None,
            attempts=attempts, served_model=self.served_model, server_timings=self.server_timings,
            system_fingerprint=self.system_fingerprint, model_headers=self.model_headers)


class Provider(ABC):
    """One endpoint of one API kind. `chat` never raises for network or API faults.

    `backoff_s` is the first retry's wait (it doubles per retry, plus up to
    `backoff_s` of jitter) unless the server sent Retry-After.
    """

    kind: ClassVar[str]
    takes_seed: ClassVar[bool] = False  # the API accepts a sampling `seed` (sent where it does)

    def __init__(self, base_url: str | None, api_key: str | None, timeout_s: float = 60.0,
                 connect_timeout_s: float = 5.0, max_attempts: int = 4, backoff_s: float = 1.0):
        if max_attempts < 1:
            raise GapWatchError(f"max_attempts must be at least 1, got {max_attempts}")
        self.base_url, self.api_key, self.max_attempts = base_url, api_key, max_attempts
        # Connect and read are separate on purpose: a dead host must fail fast, a slow model must not.
        self.timeout = httpx2.Timeout(timeout_s, connect=connect_timeout_s)
        self._backoff = wait_exponential_jitter(multiplier=backoff_s, max=16 * backoff_s, jitter=backoff_s)

    @abstractmethod
    def _chat_once(self, request: ChatRequest, timing: Timing) -> None:
        """Make one request and fill `timing`; raise SDK exceptions or ProviderFault."""

    @abstractmethod
    def classify(self, exc: Exception, mid_stream: bool) -> ProviderFault | None:
        """The fault an SDK exception stands for; None for anything that is a bug, not a fault."""

    @abstractmethod
    def served_models(self) -> list[str]:
        """Model ids the endpoint lists; GapWatchError if it cannot be asked."""

    def count_tokens(self, text: str) -> int | None:
        """Tokens in `text` by the endpoint's own tokenizer; None where the API cannot say."""
        return None

    def close(self) -> None:
        """Release connections; adapters with a client override this."""

    def chat(self, request: ChatRequest) -> ChatResult:
        """One measured call, retried per policy; timings are those of the last attempt."""
        attempts, timing = 0, Timing()
        try:
            for attempt in self._retrying():
                with attempt:
                    attempts, timing = attempts + 1, Timing()
                    try:
                        self._guarded(lambda: self._chat_once(request, timing), timing)
                    finally:
                        timing.end()
        except ProviderFault as fault:
            return timing.result(attempts, request.stream, fault)
        return timing.result(attempts, request.stream)

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        """A non-chat call (list models, ...) with the same retries; faults become GapWatchError."""
        try:
            for attempt in self._retrying():
                with attempt:
                    return self._guarded(fn, Timing())
        except ProviderFault as fault:
            message = f"endpoint {self.base_url or self.kind}: cannot {what}: {fault}"
            raise GapWatchError(redact(message)) from None

    def _guarded(self, fn: Callable[[], T], timing: Timing) -> T:
        try:
            return fn()
        except ProviderFault as fault:
            raise self._short(fault) from None
        except Exception as exc:
            fault = self.classify(exc, timing.started)
            if fault is None:
                raise
            raise self._short(fault) from exc

    def _short(self, fault: ProviderFault) -> ProviderFault:
        """The same fault with its message on one line, without the key, cut to size."""
        text = " ".join(str(fault).split())
        if self.api_key:
            text = text.replace(self.api_key, "<api key>")
        text = redact(text) or fault.error_class
        cut = text if len(text) <= ERROR_MAX_CHARS else text[:ERROR_MAX_CHARS - 3] + "..."
        return ProviderFault(fault.error_class, cut, fault.http_status, fault.retry_after_s)

    def _retrying(self) -> Retrying:
        return Retrying(stop=stop_after_attempt(self.max_attempts), wait=self._wait, reraise=True,
                        retry=retry_if_exception(
                            lambda e: isinstance(e, ProviderFault) and e.error_class in RETRYABLE))

    def _wait(self, state: RetryCallState) -> float:
        """Honour the server's Retry-After (capped); else exponential backoff with jitter."""
        fault = state.outcome.exception() if state.outcome else None
        if isinstance(fault, ProviderFault) and fault.retry_after_s is not None:
            return min(max(fault.retry_after_s, 0.0), RETRY_AFTER_CAP_S)
        return self._backoff(state)


def check_serves(provider: Provider, model: str) -> None:
    """Refuse an endpoint that does not list `model`: some local servers answer with another one."""
    served = provider.served_models()
    if model not in served:
        raise GapWatchError(f"endpoint {provider.base_url or provider.kind} serves {served}, "
                            f"not the configured model {model}")


def status_fault(status: int, message: str, headers: Mapping[str, str] | None = None,
                 code: str | None = None) -> ProviderFault:
    """Classify an HTTP error status (plus the API's error code, when it has one)."""
    if status == 429:
        error_class = "rate_limited"
    elif status in (401, 403):
        error_class = "auth_error"
    elif status == 404 or code in MODEL_NOT_FOUND_CODES:
        error_class = "unknown_model"
    elif status >= 500:
        error_class = "server_error"
    else:
        error_class = "bad_request"
    return ProviderFault(error_class, message, status, retry_after_s(headers or {}))


def transport_fault(exc: BaseException, mid_stream: bool) -> ProviderFault:
    """Classify a network failure by the httpx2 exception underneath the SDK's wrapper."""
    cause = _transport_cause(exc)
    if isinstance(cause, (httpx2.ConnectTimeout, httpx2.PoolTimeout)):
        error_class = "connect_timeout"
    elif isinstance(cause, httpx2.TimeoutException):
        error_class = "read_timeout"
    else:
        error_class = "truncated_stream" if mid_stream else "connection_error"
    return ProviderFault(error_class, f"{type(cause).__name__}: {cause}")


def chunk_fault(exc: Exception, mid_stream: bool) -> ProviderFault | None:
    """A stream chunk that is not JSON, or JSON of a shape the SDK's unvalidated models lack."""
    if isinstance(exc, json.JSONDecodeError):
        return ProviderFault("invalid_chunk", f"chunk is not JSON: {exc}")
    if mid_stream and isinstance(exc, (AttributeError, TypeError, KeyError)):
        return ProviderFault("invalid_chunk", f"chunk of unexpected shape: {type(exc).__name__}: {exc}")
    return None


def _transport_cause(exc: BaseException) -> BaseException:
    """The innermost httpx2 error in the __cause__/__context__ chain, else `exc` itself."""
    seen, node, found = set(), exc, exc
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        if isinstance(node, httpx2.TransportError):
            found = node
        node = node.__cause__ or node.__context__
    return found


def retry_after_s(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asked us to wait: `retry-after-ms`, `retry-after` seconds or date."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        try:
            if value is not None:
                return float(value) * scale
        except ValueError:
            pass
    try:
        when = parsedate_to_datetime(headers["retry-after"])
    except (KeyError, TypeError, ValueError):
        return None
    return (when - datetime.now(timezone.utc)).total_seconds()
