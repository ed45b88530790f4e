"""A scripted LLM server speaking the OpenAI and Anthropic wire formats, for timing and fault tests.

It exists only because a real model cannot inject exact delays or faults: the
tests use real local models (llama.cpp) elsewhere. The model name is the script:

- `ref-ttft50-itl10-n20`: first token 50 ms after the request arrived, then 20
  tokens (`t0 t1 ...`, one word each) 10 ms apart, usage in the final chunk.
  Every part is optional (defaults: ttft 0, itl 0, n 5); other names act as `ref`.
- `fault-429` (Retry-After: 1), `fault-500`, `fault-401` (echoes the key back, as
  some APIs do), `fault-unknown-model` (404); with `-then-ok` only the first
  request for that exact name fails. `fault-no-usage`: an answer without usage.
- Streams only, after 1-2 tokens: `fault-truncate` (connection closed inside the
  chunked body), `fault-early-end` (clean end, no finish_reason/message_stop),
  `fault-bad-json` (`data: {not json`), `fault-bad-shape` (`data: 42`),
  `fault-stream-error` (llama.cpp's `{"error": ...}` / Anthropic's error event),
  `fault-stall` (silence for `stall_s`).
- A `:tag` suffix (`fault-500-then-ok:test-7`) is ignored by the script but has
  its own request count, so tests sharing one server do not share counts.

The server runs in its own process: in-process, the client SDK's per-chunk
parsing holds the GIL and made sends several ms late at 32 streams. Each send
sleeps to an absolute monotonic deadline with its bytes encoded beforehand, and
Nagle is off. CLOCK_MONOTONIC is system-wide on Linux, so the send times in
`ReferenceServer.log` compare directly with the client's `time.monotonic()`.
"""

import json
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOST = "127.0.0.1"
SCRIPT = re.compile(r"^ref(?:-ttft(?P<ttft>\d+))?(?:-itl(?P<itl>\d+))?(?:-n(?P<n>\d+))?$")
STATUS_FAULTS = {"429": 429, "500": 500, "401": 401, "unknown-model": 404}
STREAM_FAULTS = {"truncate": 2, "stall": 2, "early-end": 2, "bad-json": 1, "bad-shape": 1, "stream-error": 1}
BROKEN = {"bad-json": b"{not json", "bad-shape": b"42"}  # the data of the event that ends such a stream
MESSAGES = {404: "The model `{model}` does not exist", 429: "Rate limit reached, retry later",
            500: "The server had an error", 401: "Incorrect API key provided: {key}"}


@dataclass(frozen=True)
class Script:
    ttft_s: float = 0.0
    itl_s: float = 0.0
    n: int = 5
    fault: str | None = None
    then_ok: bool = False


def parse_model(name: str) -> Script:
    name = name.partition(":")[0]
    if name.startswith("fault-"):
        fault = name.removeprefix("fault-")
        return Script(fault=fault.removesuffix("-then-ok"), then_ok=fault.endswith("-then-ok"))
    match = SCRIPT.match(name)
    ms = {k: int(v) for k, v in match.groupdict().items() if v is not None} if match else {}
    return Script(ttft_s=ms.get("ttft", 0) / 1000, itl_s=ms.get("itl", 0) / 1000, n=ms.get("n", 5))


@dataclass
class Sent:
    """One streamed answer: when each token was due and when its write began (monotonic s)."""

    model: str
    api: str
    t_request: float
    scheduled: list[float] = field(default_factory=list)
    sent: list[float] = field(default_factory=list)


def _words(value) -> int:
    return len(str(value or "").split())


class OpenAIWire:
    """Chat Completions: `data: {chunk}` events, usage in a last chunk without choices, `[DONE]`."""

    api = "openai"

    def __init__(self, model: str, body: dict):
        self.model, self.body = model, body
        self.include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        self.prompt_tokens = sum(_words(m.get("content")) for m in body.get("messages", []))

    def _chunk(self, choices: list, **extra) -> bytes:
        return _sse(None, {"id": "chatcmpl-ref", "object": "chat.completion.chunk", "created": 0,
                           "model": self.model, "choices": choices, **extra})

    def _delta(self, delta: dict, finish: str | None = None) -> bytes:
        return self._chunk([{"index": 0, "delta": delta, "finish_reason": finish}])

    def head(self, usage: bool) -> bytes:
        return self._delta({"role": "assistant", "content": ""})

    def token(self, text: str) -> bytes:
        return self._delta({"content": text})

    def broken(self, fault: str) -> bytes:
        error = {"error": {"code": 500, "message": "context shift failed", "type": "server_error"}}
        return b"data: %s\n\n" % BROKEN[fault] if fault in BROKEN else _sse(None, error)

    def tail(self, n: int, usage: bool) -> bytes:
        timings = {"prompt_n": self.prompt_tokens, "predicted_n": n, "prompt_ms": 1.0, "predicted_ms": 1.0}
        out = self._chunk([{"index": 0, "delta": {}, "finish_reason": "stop"}], timings=timings)  # llama.cpp
        if usage and self.include_usage:
            out += self._chunk([], usage=self._usage(n))
        return out + b"data: [DONE]\n\n"

    def _usage(self, n: int) -> dict:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": n,
                "total_tokens": self.prompt_tokens + n}

    def whole(self, text: str, n: int, usage: bool) -> dict:
        choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        return {"id": "chatcmpl-ref", "object": "chat.completion", "created": 0, "model": self.model,
                "choices": [choice], **({"usage": self._usage(n)} if usage else {})}

    def error(self, status: int, message: str) -> dict:
        code = {404: "model_not_found", 401: "invalid_api_key", 429: "rate_limit_exceeded"}.get(status)
        return {"error": {"message": message, "type": "invalid_request_error", "code": code}}


class AnthropicWire:
    """Messages API: named events from message_start to message_stop; usage split across two."""

    api = "anthropic"
    ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error",
                   429: "rate_limit_error"}

    def __init__(self, model: str, body: dict):
        self.model, self.body = model, body
        turns = sum(_words(m.get("content")) for m in body.get("messages", []))
        self.prompt_tokens = turns + _words(body.get("system"))

    def head(self, usage: bool) -> bytes:
        message = {"id": "msg_ref", "type": "message", "role": "assistant", "model": self.model,
                   "content": [], "stop_reason": None, "stop_sequence": None}
        if usage:
            message["usage"] = {"input_tokens": self.prompt_tokens, "output_tokens": 1}
        block = {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
        return (_sse("message_start", {"type": "message_start", "message": message})
                + _sse("content_block_start", block) + _sse("ping", {"type": "ping"}))

    def token(self, text: str) -> bytes:
        return _sse("content_block_delta", {"type": "content_block_delta", "index": 0,
                                            "delta": {"type": "text_delta", "text": text}})

    def broken(self, fault: str) -> bytes:
        if fault in BROKEN:
            return b"event: content_block_delta\ndata: %s\n\n" % BROKEN[fault]
        error = {"type": "overloaded_error", "message": "Overloaded"}
        return _sse("error", {"type": "error", "error": error})

    def tail(self, n: int, usage: bool) -> bytes:
        delta = {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None}}
        if usage:
            delta["usage"] = {"output_tokens": n}
        return (_sse("content_block_stop", {"type": "content_block_stop", "index": 0})
                + _sse("message_delta", delta) + _sse("message_stop", {"type": "message_stop"}))

    def whole(self, text: str, n: int, usage: bool) -> dict:
        out = {"id": "msg_ref", "type": "message", "role": "assistant", "model": self.model,
               "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None}
        if usage:
            out["usage"] = {"input_tokens": self.prompt_tokens, "output_tokens": n}
        return out

    def error(self, status: int, message: str) -> dict:
        return {"type": "error", "error": {"type": self.ERROR_TYPES.get(status, "api_error"),
                                           "message": message}}


def _sse(event: str | None, data: dict) -> bytes:
    return (f"event: {event}\n" if event else "").encode() + b"data: " + json.dumps(data).encode() + b"\n\n"


def _sleep_until(deadline: float) -> None:
    """Sleep to an absolute deadline, so per-token errors never add up."""
    delay = deadline - time.monotonic()
    if delay > 0:
        time.sleep(delay)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked bodies, like real APIs
    disable_nagle_algorithm = True  # else a small chunk can wait for the client's delayed ACK
    server: "_Server"

    def log_message(self, *args) -> None:
        """Quiet: tests read the structured state instead."""

    def do_GET(self) -> None:
        if self.path == "/_ref/state":
            return self._json(200, self.server.state())
        if self.path.rstrip("/") != "/v1/models":
            return self._json(404, {"error": {"message": f"no route {self.path}"}})
        data = [{"id": m, "object": "model", "type": "model", "created": 0, "owned_by": "reference",
                 "display_name": m, "created_at": "2025-01-01T00:00:00Z"} for m in self.server.models]
        ends = {"first_id": data[0]["id"], "last_id": data[-1]["id"]} if data else {}
        self._json(200, {"object": "list", "data": data, "has_more": False, **ends})

    def parse_request(self) -> bool:
        """Stamp arrival as soon as the request line is in, before the (slow) header parsing.

        Injected delays run from this stamp, so the server's own parsing is inside them.
        """
        self.arrived = time.monotonic()
        return super().parse_request()

    def do_POST(self) -> None:
        t_request = self.arrived
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if self.path == "/tokenize":  # llama.cpp's route; one token per word here
            return self._json(200, {"tokens": list(range(_words(body.get("content"))))})
        wires = {"/v1/chat/completions": OpenAIWire, "/v1/messages": AnthropicWire}
        if self.path not in wires:
            return self._json(404, {"error": {"message": f"no route {self.path}"}})
        wire = wires[self.path](str(body.get("model", "")), body)
        self._answer(wire, parse_model(wire.model), t_request)

    def _answer(self, wire, script: Script, t_request: float) -> None:
        attempt = self.server.arrive(wire.model, t_request)
        if wire.api == "anthropic" and any(m.get("role") == "system" for m in wire.body.get("messages", [])):
            return self._json(400, wire.error(400, "messages: 'system' is not a turn role; use system="))
        status = STATUS_FAULTS.get(script.fault or "")
        if status and not (script.then_ok and attempt > 1):
            key = self.headers.get("x-api-key") or self.headers.get("Authorization", "")[len("Bearer "):]
            return self._json(status, wire.error(status, MESSAGES[status].format(model=wire.model, key=key)),
                              {"Retry-After": "1"} if status == 429 else {})
        if not wire.body.get("stream"):
            return self._whole(wire, script, t_request)
        self._stream(wire, script, t_request)

    def _whole(self, wire, script: Script, t_request: float) -> None:
        if script.fault in STREAM_FAULTS:
            return self._json(400, wire.error(400, f"fault-{script.fault} needs stream=true"))
        _sleep_until(t_request + script.ttft_s + max(script.n - 1, 0) * script.itl_s)
        text = "".join(f"t{i} " for i in range(script.n))
        self._json(200, wire.whole(text, script.n, usage=script.fault != "no-usage"))

    def _stream(self, wire, script: Script, t_request: float) -> None:
        self.server.log.append(record := Sent(wire.model, wire.api, t_request))  # list.append is atomic
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self._chunk(wire.head(usage=script.fault != "no-usage"))
        for i in range(STREAM_FAULTS.get(script.fault or "", script.n)):
            deadline, data = t_request + script.ttft_s + i * script.itl_s, wire.token(f"t{i} ")
            record.scheduled.append(deadline)
            _sleep_until(deadline)
            record.sent.append(time.monotonic())
            self._chunk(data)
        if script.fault in ("truncate", "stall"):
            time.sleep(self.server.stall_s if script.fault == "stall" else 0)
            self.close_connection = True  # the body ends without its terminating chunk
            return
        if script.fault in ("bad-json", "bad-shape", "stream-error"):
            self._chunk(wire.broken(script.fault))
        if script.fault != "early-end":
            self._chunk(wire.tail(script.n, usage=script.fault != "no-usage"))
        self.wfile.write(b"0\r\n\r\n")

    def _chunk(self, data: bytes) -> None:
        """One HTTP chunk in one write (the socket writer is unbuffered: it leaves now)."""
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def _json(self, status: int, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", "Content-Length": str(len(data)),
                            **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # 32+ clients connect at once; a short backlog drops SYNs (1 s retries)

    def __init__(self, models: list[str], stall_s: float):
        super().__init__((HOST, 0), _Handler)
        self.models, self.stall_s = models, stall_s
        self.lock = threading.Lock()
        self.log: list[Sent] = []
        self.arrivals: dict[str, list[float]] = defaultdict(list)

    def handle_error(self, request, client_address) -> None:
        """A client hanging up mid-answer (timeouts, truncation tests) is expected, not news."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def arrive(self, model: str, t: float) -> int:
        """Count this request for `model`: the count drives `-then-ok`."""
        with self.lock:
            self.arrivals[model].append(t)
            return len(self.arrivals[model])

    def state(self) -> dict:
        with self.lock:
            return {"log": [asdict(s) for s in self.log], "arrivals": dict(self.arrivals)}


class ReferenceServer:
    """`with ReferenceServer() as server:` serves on 127.0.0.1 at a free port, in a child process.

    `models` is what GET /v1/models lists (every name is served regardless).
    """

    def __init__(self, models: list[str] | tuple[str, ...] = ("ref-model",), stall_s: float = 30.0):
        self.models, self.stall_s = list(models), stall_s
        self.port, self.root_url, self.base_url, self._proc = 0, "", "", None

    def __enter__(self) -> "ReferenceServer":
        config = json.dumps({"models": self.models, "stall_s": self.stall_s})
        self._proc = subprocess.Popen([sys.executable, __file__, config], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True)
        line = self._proc.stdout.readline()
        if not line.strip().isdigit():
            self.__exit__()
            raise RuntimeError(f"reference server did not start: {line!r}")
        self.port = int(line)
        self.root_url = f"http://{HOST}:{self.port}"
        self.base_url = f"{self.root_url}/v1"  # an OpenAI client's base_url; llama.cpp's /tokenize is at root
        return self

    def __exit__(self, *_exc) -> None:
        self._proc.terminate()
        self._proc.communicate(timeout=10)  # reaps the child and closes its pipes

    def _state(self) -> dict:
        with urllib.request.urlopen(f"{self.root_url}/_ref/state", timeout=5) as response:
            return json.load(response)

    @property
    def log(self) -> list[Sent]:
        return [Sent(**s) for s in self._state()["log"]]

    def sent_for(self, model: str) -> list[Sent]:
        return [s for s in self.log if s.model == model]

    @property
    def arrivals(self) -> dict[str, list[float]]:
        """Arrival times of every chat request, by model name (their count is the attempt count)."""
        return defaultdict(list, self._state()["arrivals"])


def _serve(config: dict) -> None:
    """Child process: print the port, serve until terminated or until the parent goes away."""
    server = _Server(config["models"], config["stall_s"])
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()  # EOF: the parent closed the pipe or died; never outlive it


if __name__ == "__main__":
    _serve(json.loads(sys.argv[1]))
