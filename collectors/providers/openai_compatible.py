"""OpenAI Chat Completions through the official `openai` SDK: OpenAI itself, vLLM, llama.cpp, ...

Registered for kind `local` too: the local llama.cpp servers speak this API
(core/provider_kinds.py says what each kind needs).
The SDK's own retries are off (`max_retries=0`) so that `attempts` and the
backoff are ours; streams ask for `include_usage` so the token count is the
server's, not a guess.
"""

import openai

from collectors.providers import register
from collectors.providers.base import (NO_KEY, ChatRequest, Provider, ProviderFault, Timing, chunk_fault,
                                       status_fault, transport_fault)
from collectors.providers.wire_clock import timed_client
from core.errors import GapWatchError


@register("openai-compatible", "local")
class OpenAICompatible(Provider):
    kind = "openai-compatible"
    takes_seed = True

    def __init__(self, base_url: str | None, api_key: str | None, *args, **kwargs):
        super().__init__(base_url, api_key, *args, **kwargs)
        if not base_url:
            raise GapWatchError("an openai-compatible provider needs base_url, e.g. http://127.0.0.1:8080/v1")
        self.client = openai.OpenAI(base_url=base_url, api_key=api_key or NO_KEY, max_retries=0,
                                    timeout=self.timeout, http_client=timed_client(self.timeout))

    def _chat_once(self, request: ChatRequest, timing: Timing) -> None:
        args = dict(model=request.model, messages=request.messages, max_tokens=request.max_tokens,
                    temperature=request.temperature, extra_body=request.extra_body or None)
        if request.stream:
            self._stream(args, timing)
        else:
            self._complete(args, timing)

    def _stream(self, args: dict, timing: Timing) -> None:
        stream = self.client.chat.completions.create(
            **args, stream=True, stream_options={"include_usage": True})
        timing.from_wire_send()
        timing.started, timing.http_status = True, stream.response.status_code
        timing.take_headers(stream.response.headers)
        with stream:
            for chunk in stream:
                _take_chunk(chunk, timing)
        if not timing.finished:
            raise ProviderFault("truncated_stream", "stream ended without a finish_reason",
                                timing.http_status)

    def _complete(self, args: dict, timing: Timing) -> None:
        raw = self.client.chat.completions.with_raw_response.create(**args, stream=False)
        timing.started, timing.http_status = True, raw.status_code
        timing.take_headers(raw.headers)
        completion = raw.parse()
        timing.served_model = completion.model
        timing.system_fingerprint = getattr(completion, "system_fingerprint", None)
        timing.parts = [completion.choices[0].message.content or ""] if completion.choices else []
        _take_usage(completion, timing)

    def classify(self, exc: Exception, mid_stream: bool) -> ProviderFault | None:
        if isinstance(exc, openai.APIStatusError):
            return status_fault(exc.status_code, exc.message, exc.response.headers, exc.code)
        if isinstance(exc, openai.APIConnectionError):
            return transport_fault(exc, mid_stream)
        if isinstance(exc, openai.APIError):  # an {"error": ...} object inside a 200 stream
            return _stream_error(exc)
        return chunk_fault(exc, mid_stream)

    def served_models(self) -> list[str]:
        return self._call("list models", lambda: [m.id for m in self.client.models.list()])

    def count_tokens(self, text: str) -> int | None:
        """llama.cpp's POST {root}/tokenize; None where the server has no such route."""
        url = self.base_url.rstrip("/").removesuffix("/v1") + "/tokenize"
        try:
            body = self.client.post(url, body={"content": text}, cast_to=object)
        except openai.APIError:
            return None
        tokens = body.get("tokens") if isinstance(body, dict) else None
        return len(tokens) if isinstance(tokens, list) else None

    def close(self) -> None:
        self.client.close()


def _take_chunk(chunk, timing: Timing) -> None:
    timing.served_model = chunk.model or timing.served_model
    timing.system_fingerprint = getattr(chunk, "system_fingerprint", None) or timing.system_fingerprint
    for choice in chunk.choices or []:
        timing.content(choice.delta.content if choice.delta else None)
        timing.finished = timing.finished or bool(choice.finish_reason)
    _take_usage(chunk, timing)


def _take_usage(response, timing: Timing) -> None:
    """Token counts and llama.cpp's extra `timings` object, when the response has them."""
    if response.usage:
        timing.input_tokens = response.usage.prompt_tokens
        timing.output_tokens = response.usage.completion_tokens
    extra = getattr(response, "timings", None)
    if isinstance(extra, dict):
        timing.server_timings = extra


def _stream_error(exc: openai.APIError) -> ProviderFault:
    """llama.cpp and others report mid-stream failures as `{"error": {"code": 500, ...}}`."""
    body = exc.body if isinstance(exc.body, dict) else {}
    status = body.get("code") if isinstance(body.get("code"), int) else 500
    return status_fault(status, f"Error code: {status} - {exc.message}", None, body.get("type"))
