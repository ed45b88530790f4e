"""Anthropic Messages API through the official `anthropic` SDK.

Its stream is typed events: text arrives in `content_block_delta`, input tokens
in `message_start`, output tokens in `message_delta`, and `message_stop` marks a
complete answer. System messages are not chat turns here: they go to `system=`.

`ChatRequest.temperature` is not sent: SDK 2.x speaks API version 2026-10-21,
which answers 400 to any temperature/top_p/top_k (the SDK has no such argument).
"""

import anthropic
import httpx2

from collectors.providers import register
from collectors.providers.base import (NO_KEY, ChatRequest, Provider, ProviderFault, Timing, chunk_fault,
                                       status_fault, transport_fault)
from collectors.providers.wire_clock import timed_client

# Error events inside a 200 stream carry a type, not a status.
EVENT_ERROR_STATUS = {"rate_limit_error": 429, "overloaded_error": 529, "api_error": 500,
                      "authentication_error": 401, "permission_error": 403, "not_found_error": 404,
                      "invalid_request_error": 400}


@register("anthropic")
class AnthropicProvider(Provider):
    kind = "anthropic"

    def __init__(self, base_url: str | None, api_key: str | None, *args, **kwargs):
        super().__init__(base_url, api_key, *args, **kwargs)
        # The SDK appends /v1/messages itself; accept a base_url written either way.
        root = base_url.rstrip("/").removesuffix("/v1") if base_url else None
        self.client = anthropic.Anthropic(api_key=api_key or NO_KEY, base_url=root, max_retries=0,
                                          timeout=self.timeout, http_client=timed_client(self.timeout))

    def _chat_once(self, request: ChatRequest, timing: Timing) -> None:
        system = "\n\n".join(m["content"] for m in request.messages if m["role"] == "system")
        args = dict(model=request.model, max_tokens=request.max_tokens,
                    messages=[m for m in request.messages if m["role"] != "system"],
                    extra_body=request.extra_body or None, **({"system": system} if system else {}))
        if request.stream:
            self._stream(args, timing)
        else:
            self._complete(args, timing)

    def _stream(self, args: dict, timing: Timing) -> None:
        stream = self.client.messages.create(**args, stream=True)
        timing.from_wire_send()
        timing.started, timing.http_status = True, stream.response.status_code
        with stream:
            for event in stream:
                _take_event(event, timing)
        if not timing.finished:
            raise ProviderFault("truncated_stream", "stream ended without message_stop", timing.http_status)

    def _complete(self, args: dict, timing: Timing) -> None:
        raw = self.client.messages.with_raw_response.create(**args)
        timing.started, timing.http_status = True, raw.status_code
        timing.take_headers(raw.headers)
        message = raw.parse()
        timing.served_model = message.model
        timing.parts = [block.text for block in message.content if block.type == "text"]
        _take_usage(getattr(message, "usage", None), timing)

    def classify(self, exc: Exception, mid_stream: bool) -> ProviderFault | None:
        if isinstance(exc, anthropic.APIStatusError):
            return _status_fault(exc)
        # Mid-stream, this SDK lets httpx2's own exceptions through unwrapped.
        if isinstance(exc, (anthropic.APIConnectionError, httpx2.TransportError)):
            return transport_fault(exc, mid_stream)
        return chunk_fault(exc, mid_stream)

    def served_models(self) -> list[str]:
        return self._call("list models", lambda: [m.id for m in self.client.models.list()])

    def close(self) -> None:
        self.client.close()


def _take_event(event, timing: Timing) -> None:
    if event.type == "message_start":
        timing.served_model = event.message.model
        _take_usage(getattr(event.message, "usage", None), timing, outputs=False)
    elif event.type == "content_block_delta" and event.delta.type == "text_delta":
        timing.content(event.delta.text)
    elif event.type == "message_delta":
        _take_usage(getattr(event, "usage", None), timing)
    elif event.type == "message_stop":
        timing.finished = True


def _take_usage(usage, timing: Timing, outputs: bool = True) -> None:
    """Input = fresh + cache-written + cache-read tokens (the API counts them apart).

    message_start's output_tokens is a placeholder (1), so outputs come only from
    message_delta (or a whole Message): a stream without it reports None, not 1.
    """
    if usage is None:
        return
    inputs = [getattr(usage, name, None) for name in
              ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")]
    if inputs[0] is not None:
        timing.input_tokens = sum(n for n in inputs if n is not None)
    if outputs and getattr(usage, "output_tokens", None) is not None:
        timing.output_tokens = usage.output_tokens


def _status_fault(exc: anthropic.APIStatusError) -> ProviderFault:
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    status = exc.status_code
    if status < 400:  # an `event: error` inside a stream that started with 200
        status = EVENT_ERROR_STATUS.get(error.get("type"), 500)
    message = error.get("message") or exc.message
    return status_fault(status, f"Error code: {status} - {message}", exc.response.headers,
                        error.get("type"))
