"""A real HTTP server on a free port serving the public sources' files from tests/fixtures/public/.

The paths are the real ones (Hugging Face's `resolve` URL answers with a redirect to its CDN,
as the Hub does), so the refresh follows what it would follow on the internet. A route can
also answer an error status or send a body shorter than its Content-Length and hang up (a
partial download): faults a real upstream shows and a test must be able to cause on purpose.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from dead_endpoints import closed_port_url

FIXTURES = Path(__file__).parent / "fixtures" / "public"
PAYLOADS = Path(__file__).parent / "payloads"
HF = "/datasets/lmarena-ai/leaderboard-dataset/resolve/main"
PATHS = {"text": f"{HF}/text/full-00000-of-00001.parquet",
         "style": f"{HF}/text_style_control/full-00000-of-00001.parquet",
         "epoch": "/data/benchmark_data.zip", "openrouter": "/api/v1/models",
         "litellm": "/model_prices_and_context_window.json"}


class PublicServer:
    def __init__(self):
        self.routes: dict[str, tuple] = {}
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append(self.path)
                kind, *rest = outer.routes.get(self.path, ("status", 404))
                if kind == "redirect":
                    self.send_response(302)
                    self.send_header("Location", rest[0])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif kind == "status":
                    self.send_response(rest[0])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                else:
                    body = rest[0]
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body if kind == "file" else body[:len(body) // 2])
                    self.wfile.flush()
                    if kind == "truncated":
                        self.close_connection = True

            def log_message(self, *_):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}{path}"

    def serve(self, name: str, body: bytes, kind: str = "file") -> None:
        """Serve `body` at the source's real path; Arena's through a Hub-like redirect."""
        path = PATHS[name]
        if path.startswith(HF):
            cdn = f"/cdn/{name}"
            self.routes[path] = ("redirect", self.url(cdn))
            self.routes[cdn] = (kind, body)
        else:
            self.routes[path] = (kind, body)

    def serve_vintage(self, arena: str = "v1", epoch: str = "v1") -> None:
        self.serve("text", (FIXTURES / "arena" / f"text_full_{arena}.parquet").read_bytes())
        self.serve("style", (FIXTURES / "arena" / f"text_style_control_full_{arena}.parquet").read_bytes())
        self.serve("epoch", (FIXTURES / "epoch" / f"benchmark_data_{epoch}.zip").read_bytes())
        self.serve("openrouter", (PAYLOADS / "openrouter_models.json").read_bytes())
        self.serve("litellm", (PAYLOADS / "litellm_prices.json").read_bytes())

    def config(self, folder: Path, arena_url: str | None = None) -> Path:
        """A gapwatch.toml whose importers point here, with the weekly public job."""
        urls = {"arena": arena_url or self.url(PATHS["text"]), "style": self.url(PATHS["style"]),
                "epoch": self.url(PATHS["epoch"])}
        path = folder / "gapwatch.toml"
        path.write_text(
            "[collectors.public]\nschedule = \"0 4 * * 1\"\n"
            f"[importers.arena]\nurl = {json.dumps(urls['arena'])}\n"
            f"style_control_url = {json.dumps(urls['style'])}\ntimeout_s = 10\n"
            f"[importers.epoch]\neci_url = {json.dumps(urls['epoch'])}\n"
            f"benchmarks_url = {json.dumps(urls['epoch'])}\ntimeout_s = 10\n"
            f"[importers.openrouter]\nurl = {json.dumps(self.url(PATHS['openrouter']))}\n"
            f"[importers.litellm]\nurl = {json.dumps(self.url(PATHS['litellm']))}\n")
        return path

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def dead_url() -> str:
    return closed_port_url("/datasets/text/full-00000-of-00001.parquet")
