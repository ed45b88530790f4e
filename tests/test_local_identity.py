"""A local model is measured only on a server that serves its own GGUF file (issue #26).

Before #26 the ports were fixed at 8771-8773 and `local status` called any server there healthy,
so a latency run measured whatever answered. Now `local up --ports` and `[local] ports` move them,
and `local status`, every CLI run and every collection check the file the server serves by its
sha256 (llama.cpp's /props names the file).

Real parts: llama.cpp servers (xllamacpp) on free ports, never the shared ones on 8771-8773
(those are only read). The foreign server is SmolLM2's file served under Gemma's name, the
hardest case: it answers to the configured model id, so only the file's hash can tell.
"""

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from test_bad_folders import hashes

from collectors import endpoints, local_models
from core.config import load_config
from core.errors import GapWatchError
from core.paths import warehouse_paths
from tests.helpers import free_port, wait_healthy

pytestmark = pytest.mark.slow  # real llama.cpp servers
REPO = Path(__file__).resolve().parent.parent
SMOLLM = local_models.MODELS["local/smollm2-135m"]
GEMMA = local_models.MODELS["local/gemma3-270m"]
IMPOSTOR = """
from dataclasses import replace
from pathlib import Path
from collectors import local_models as lm
lm.serve(replace(lm.MODELS["local/smollm2-135m"], id="local/gemma3-270m"), {port}, Path({models!r}))
"""


@pytest.fixture(scope="module")
def impostor(tmp_path_factory):
    """SmolLM2's GGUF served as `local/gemma3-270m` on a free port."""
    port, models = free_port(), tmp_path_factory.mktemp("impostor-models")
    proc = subprocess.Popen([sys.executable, "-c", IMPOSTOR.format(port=port, models=str(models))],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc, timeout_s=180, path="/health")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def config_with_ports(path: Path, ports: dict[str, int]) -> Path:
    table = ", ".join(f'"{model_id}" = {port}' for model_id, port in ports.items())
    path.write_text(f"[local]\nports = {{ {table} }}\n\n" + "\n".join(
        f'[[models]]\nid = "{m}"\nprovider = "local"\norganization = "Test"\nopen_weights = true\n'
        for m in ports))
    return path


def collectors(config: Path, db: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GAPWATCH_CONFIG": str(config), "GAPWATCH_DB": str(db)}
    return subprocess.run([sys.executable, "-m", "collectors", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)


def test_the_impostor_answers_to_the_configured_name(impostor):
    """What made it dangerous: the name check every run already did passes."""
    listed = httpx.get(f"http://127.0.0.1:{impostor}/v1/models", timeout=10).json()["data"]
    assert [m["id"] for m in listed] == ["local/gemma3-270m"]


def test_local_status_refuses_a_server_of_another_model_in_one_line(impostor, tmp_path, db_copy):
    config = config_with_ports(tmp_path / "gapwatch.toml", {GEMMA.id: impostor})
    done = collectors(config, db_copy, "local", "status")
    assert done.returncode == 2
    gemma = next(line for line in done.stdout.splitlines() if line.startswith(GEMMA.id))
    assert f"port {impostor}  foreign" in gemma
    assert done.stderr == (f"error: {GEMMA.id}: the server on port {impostor} serves another model "
                           f"file (SmolLM2-135M-Instruct.Q4_1.gguf, sha256 {SMOLLM.sha256[:12]}...), "
                           f"not {GEMMA.id} (sha256 {GEMMA.sha256[:12]}...); stop that server or give "
                           "GapWatch other ports ([local] ports, or `local up --ports`)\n")
    ports = f"{SMOLLM.port},{impostor},{local_models.MODELS['local/qwen2.5-coder-0.5b'].port}"
    by_flag = collectors(REPO / "gapwatch.toml", db_copy, "local", "status", "--ports", ports)
    assert by_flag.returncode == 2 and by_flag.stderr == done.stderr  # --ports: the same check


def test_a_run_refuses_the_impostor_before_writing_anything(impostor, tmp_path, db_copy):
    config = config_with_ports(tmp_path / "gapwatch.toml", {GEMMA.id: impostor})
    warehouse_paths(db_copy).write_lock.touch()
    before = hashes(db_copy.parent)
    done = collectors(config, db_copy, "run", "latency", "--models", GEMMA.id, "--workloads",
                      "smoke-32-16", "--concurrency", "1", "--requests", "1")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"error: {GEMMA.id}: the server on port {impostor} serves another "
                                  "model file") and done.stderr.endswith("; nothing was run\n")
    assert done.stderr.count("\n") == 1
    assert hashes(db_copy.parent) == before


def test_a_scheduled_collection_skips_the_impostor_in_one_line(impostor, tmp_path):
    """The check inside the collection itself (a scheduled run has no CLI in front of it)."""
    model = load_config(config_with_ports(tmp_path / "gapwatch.toml", {GEMMA.id: impostor})).models[0]
    assert model.base_url == f"http://127.0.0.1:{impostor}/v1"
    with pytest.raises(GapWatchError, match=f"the server on port {impostor} serves another model file"):
        endpoints.connect(model)


def test_local_up_on_other_ports_serves_there_and_status_vouches_for_it(tmp_path):
    """`up` with a port of our choosing (one model, to spare the shared machine two more
    servers): the server listens there, `status` finds its file genuine, `down` stops it."""
    port = free_port()
    data = tmp_path / "data"
    model = replace(SMOLLM, port=port)
    try:
        local_models.up([model], data_dir=data)
        report = local_models.status(data, [model])[SMOLLM.id]
        assert report["healthy"] and report["alive"] and report["port"] == port
        assert report["foreign"] is None and report["served_id"] == SMOLLM.id
    finally:
        assert local_models.down(data, [model]) == [SMOLLM.id]
    assert local_models.at_ports({SMOLLM.id: port})[0] == model


def test_the_shared_servers_are_genuine(tmp_path):
    """On the default ports, if they are up (they are only read here): each serves its own file."""
    report = local_models.status(tmp_path)
    if not all(info["healthy"] for info in report.values()):
        pytest.skip("the shared local servers on 8771-8773 are not running")
    assert {m: info["foreign"] for m, info in report.items()} == dict.fromkeys(report)
