"""A real llama.cpp server (xllamacpp) for one GGUF under any model name, on any port, with a
chosen context size and KV-cache type: what a swap behind a name looks like from outside.

Why not `collectors.local_models.serve`: that serves each bundled model under its own id, on
its own port, with the settings GapWatch measures with. The drift sentinel's demonstration,
its bench (bench/drift.py) and its slow test need to put *another* model, or the same model
with other settings, behind one name on one port, the way a provider swaps a model silently.

    python -m bench.llama_server local/qwen2.5-coder-0.5b --alias acme/chat --port 8891 \
        [--ctx 4096] [--cache-type q8_0]

`serving(...)` runs it as a child process for a `with` block (stopped by its own pid). One CPU
thread by default: under load, llama.cpp's two threads spin at a barrier for every token while
the other is descheduled (SmolLM2 fell from ~100 to 0.6 tokens/s on this 2-core machine at a
load average of 10); one thread has no one to wait for.
"""

import argparse
import contextlib
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from collectors import local_models

ROOT = Path(__file__).resolve().parent.parent
CACHE_TYPES = ("f16", "q8_0", "q4_0")


def serve(model_id: str, alias: str, port: int, n_ctx: int, cache_type: str | None,
          models_dir: Path, threads: int = 1) -> None:
    import xllamacpp

    model = local_models.MODELS[model_id]
    params = xllamacpp.CommonParams()
    params.model.path = str(local_models.model_file(model, models_dir))
    params.model_alias = {alias}
    params.hostnames, params.port = [local_models.HOST], port
    params.n_ctx, params.n_parallel = n_ctx, 1
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = threads
    if model.chat_template:
        params.chat_template = model.chat_template
    if cache_type:
        kind = getattr(xllamacpp.ggml_type, f"GGML_TYPE_{cache_type.upper()}")
        params.cache_type_k = params.cache_type_v = kind
    local_models.serve_forever(params, f"{model_id} as {alias}")


@contextlib.contextmanager
def serving(model_id: str, alias: str, port: int, n_ctx: int = local_models.N_CTX,
            cache_type: str | None = None, models_dir: Path = ROOT / "data" / "models",
            log: Path | None = None, timeout_s: float = 180.0, threads: int = 1):
    """A server for the block; its root URL. Stopped (TERM, then KILL) by its own pid."""
    cmd = [sys.executable, "-m", "bench.llama_server", model_id, "--alias", alias, "--port",
           str(port), "--ctx", str(n_ctx), "--models-dir", str(models_dir), "--threads", str(threads)]
    cmd += ["--cache-type", cache_type] if cache_type else []
    out = log.open("ab") if log else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_healthy(port, proc, timeout_s)
        yield f"http://{local_models.HOST}:{port}"
    finally:
        stop(proc)
        if log:
            out.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((local_models.HOST, 0))
        return sock.getsockname()[1]


def wait_healthy(port: int, proc: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"llama.cpp server on port {port} exited with {proc.returncode}")
        try:
            if httpx.get(f"http://{local_models.HOST}:{port}/health", timeout=2,
                         trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    stop(proc)
    raise TimeoutError(f"llama.cpp server on port {port} not healthy in {timeout_s:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if proc.poll() is not None:
            return
        proc.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=15)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model_id", choices=sorted(local_models.MODELS))
    parser.add_argument("--alias", required=True, help="the model name the server answers as")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ctx", type=int, default=local_models.N_CTX, help="context tokens")
    parser.add_argument("--cache-type", choices=CACHE_TYPES, help="KV cache type (default f16)")
    parser.add_argument("--models-dir", type=Path, default=ROOT / "data" / "models")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads (default 1: on a shared, busy machine two threads "
                             "wait on each other at every token; 0.6 tokens/s measured)")
    args = parser.parse_args()
    serve(args.model_id, args.alias, args.port, args.ctx, args.cache_type, args.models_dir,
          args.threads)
