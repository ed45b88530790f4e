"""The drift sentinel against real llama.cpp servers: one OpenAI-compatible name on one port,
behind which the served model changes between `python -m collectors run drift` runs.

SmolLM2-135M twice (the baseline, then `same model`), SmolLM2 with a 4096-token context
(`changed`: the server says so), then Qwen2.5-Coder-0.5B under the same name (`changed`, with
the evidence, in one run). Each change is POSTed to a webhook (a real local HTTP server) and
is a `model swap` in `method_changes`. 12 of the canary items keep it short.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_alerts import Hook

from bench.llama_server import serving
from helpers import free_port
from warehouse.storage import db

REPO = Path(__file__).resolve().parent.parent
NAME = "acme/chat-model"


def drift(env: dict) -> str:
    """One drift run through the CLI; the line it prints for the model."""
    done = subprocess.run([sys.executable, "-m", "collectors", "run", "drift", "--items", "12",
                           "--quiet"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr
    return next(line for line in done.stdout.splitlines() if line.startswith(NAME + ": "))


@pytest.mark.slow
def test_a_model_swapped_behind_its_name_is_changed_in_one_run(db_copy, tmp_path):
    port, hook = free_port(), Hook()
    config = tmp_path / "gapwatch.toml"
    config.write_text(f"""
[[models]]
id = "{NAME}"
provider = "openai-compatible"
base_url = "http://127.0.0.1:{port}/v1"
organization = "Acme"
open_weights = false

[alerts]
webhook_url = "{hook.url}"
""")
    env = {**os.environ, "GAPWATCH_DB": str(db_copy), "GAPWATCH_CONFIG": str(config)}
    log = tmp_path / "llama.log"
    try:
        with serving("local/smollm2-135m", "chat-model", port, log=log):
            first, second = drift(env), drift(env)
        with serving("local/smollm2-135m", "chat-model", port, n_ctx=4096, log=log):
            wider = drift(env)
        with serving("local/qwen2.5-coder-0.5b", "chat-model", port, log=log):
            swapped = drift(env)
    finally:
        hook.close()
    assert first.startswith(f"{NAME}: not enough data (first run on this canary set (12 items")
    assert second.startswith(f"{NAME}: same model (0 of 12 answers differ (0%)")
    assert wider.startswith(f"{NAME}: changed (0 of 12 answers differ")
    assert "context 2,048 tokens → 4,096 tokens" in wider
    assert swapped.startswith(f"{NAME}: changed (")
    for evidence in ("parameters 135 M → 630 M", "vocabulary 49,152 tokens → 151,936 tokens",
                     "quantisation Q4_1 → Q4_K - Medium", "probe text", "prompt tokens differ"):
        assert evidence in swapped, evidence
    events = [r["event"] for r in hook.received]
    assert [e["event"] for e in events] == ["model changed", "model changed"]
    assert "context 2,048 tokens → 4,096 tokens" in events[0]["evidence"]
    assert "parameters 135 M → 630 M" in events[1]["text"]
    with db.reading(db_copy) as con:
        checks = con.execute("SELECT verdict, n_changed_answers, baseline_run_id, run_id FROM "
                             "drift_checks ORDER BY checked_at_utc").df()
        swaps = con.execute("SELECT scope FROM method_changes WHERE kind = 'model swap'").df()
    assert list(checks["verdict"]) == ["not enough data", "same model", "changed", "changed"]
    assert checks["baseline_run_id"].iloc[3] == checks["run_id"].iloc[2]  # the change re-based it
    assert checks["n_changed_answers"].iloc[3] >= 8  # another model answers most items otherwise
    assert list(swaps["scope"]) == [NAME, NAME]
