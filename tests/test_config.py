"""gapwatch.toml: strict parsing, one clear line per problem, keys only from the environment."""

import subprocess
import sys
from pathlib import Path

import pytest

from core.config import load_config
from core.errors import GapWatchError

REPO = Path(__file__).resolve().parent.parent
GOOD_MODEL = """
[[models]]
id = "openai/gpt-4o-mini"
provider = "openai-compatible"
base_url = "https://api.openai.com/v1"
api_key_env = "GAPWATCH_TEST_OPENAI_KEY"
organization = "OpenAI"
open_weights = false
"""


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "gapwatch.toml"
    path.write_text(text)
    return path


def error_of(path: Path) -> str:
    with pytest.raises(GapWatchError) as info:
        load_config(path)
    return str(info.value)


def test_shipped_default_loads_without_any_key():
    config = load_config(REPO / "gapwatch.toml")
    assert set(config.collectors) == {"latency", "capability", "prices", "public"}
    assert config.collectors["public"].schedule == "0 4 * * 1"  # the public history, weekly
    assert config.importers.arena.url.startswith(
        "https://huggingface.co/datasets/lmarena-ai/leaderboard-dataset/resolve/main/text/full-")
    assert config.importers.epoch.eci_url == "https://epoch.ai/data/benchmark_data.zip"
    assert config.missing_keys() == []


def test_malformed_toml_names_file_and_line(tmp_path):
    path = write(tmp_path, GOOD_MODEL.replace("open_weights = false", "open_weights = maybe"))
    message = error_of(path)
    assert str(path) in message and "invalid TOML" in message and "line 8" in message


def test_unknown_key_names_the_model_and_key(tmp_path):
    message = error_of(write(tmp_path, GOOD_MODEL.replace("open_weights", "colour = 1\nopen_weights")))
    assert "models[0] (openai/gpt-4o-mini).colour: unknown key" in message


def test_unknown_top_level_key(tmp_path):
    assert "schedules: unknown key" in error_of(write(tmp_path, "[schedules]\nx = 1\n"))


def test_unknown_provider_is_named(tmp_path):
    message = error_of(write(tmp_path, GOOD_MODEL.replace('"openai-compatible"', '"gemini-native"')))
    assert "models[0] (openai/gpt-4o-mini).provider" in message and "'gemini-native'" in message


def test_what_a_provider_kind_needs_comes_from_its_registration(tmp_path):
    no_url = GOOD_MODEL.replace('base_url = "https://api.openai.com/v1"\n', "")
    assert "models[0] (openai/gpt-4o-mini): openai-compatible models need base_url" in error_of(
        write(tmp_path, no_url))
    no_key = GOOD_MODEL.replace('"openai-compatible"', '"anthropic"').replace(
        'api_key_env = "GAPWATCH_TEST_OPENAI_KEY"\n', "")
    assert "anthropic models need api_key_env" in error_of(write(tmp_path, no_key))
    local = load_config(write(tmp_path, GOOD_MODEL.replace('"openai-compatible"', '"local"'))).models[0]
    assert local.kind.is_local and local.api_model == "openai/gpt-4o-mini"


def test_unknown_collector_and_bad_cron(tmp_path):
    assert "collectors.speed" in error_of(write(tmp_path, '[collectors.speed]\nschedule = "* * * * *"\n'))
    message = error_of(write(tmp_path, '[collectors.latency]\nschedule = "every hour"\n'))
    assert "collectors.latency.schedule: invalid cron expression 'every hour'" in message


def test_model_id_must_be_provider_slash_model(tmp_path):
    assert "models[0] (gpt-4o).id" in error_of(write(tmp_path, GOOD_MODEL.replace(
        '"openai/gpt-4o-mini"', '"gpt-4o"')))


def test_missing_key_warns_at_load_and_fails_only_on_use(tmp_path, monkeypatch):
    monkeypatch.delenv("GAPWATCH_TEST_OPENAI_KEY", raising=False)
    config = load_config(write(tmp_path, GOOD_MODEL))
    assert config.missing_keys() == ["model openai/gpt-4o-mini: environment variable "
                                     "GAPWATCH_TEST_OPENAI_KEY is not set; it will fail when collected"]
    with pytest.raises(GapWatchError, match="GAPWATCH_TEST_OPENAI_KEY is not set"):
        config.models[0].api_key()


def test_key_is_read_from_environment_and_never_kept(tmp_path, monkeypatch):
    secret = "sk-test-DO-NOT-LEAK-123"
    monkeypatch.setenv("GAPWATCH_TEST_OPENAI_KEY", secret)
    config = load_config(write(tmp_path, GOOD_MODEL))
    assert config.models[0].api_key() == secret
    assert secret not in repr(config) and secret not in config.model_dump_json()


def test_cli_init_with_bad_config_exits_cleanly_and_writes_nothing(tmp_path):
    config = write(tmp_path, GOOD_MODEL.replace("provider", "provder"))
    env = {"GAPWATCH_DB": str(tmp_path / "gapwatch.duckdb"), "GAPWATCH_CONFIG": str(config),
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "warehouse", "init"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "provder: unknown key" in result.stderr
    assert not (tmp_path / "gapwatch.duckdb").exists()


LOCAL_MODEL = """
[[models]]
id = "local/smollm2-135m"
provider = "local"
organization = "Hugging Face"
open_weights = true
"""


def test_local_ports_move_the_local_models_and_are_checked(tmp_path):
    """[local] ports (issue #26): a local model without base_url is measured on its port."""
    config = load_config(write(tmp_path, '[local]\nports = { "local/smollm2-135m" = 8871 }\n'
                               + LOCAL_MODEL))
    assert config.models[0].base_url == "http://127.0.0.1:8871/v1"
    assert load_config(write(tmp_path, LOCAL_MODEL)).models[0].base_url is None  # 8771 then
    assert error_of(write(tmp_path, '[local]\nports = { "a/b" = 80 }\n')).endswith(
        "local.ports: ports must be 1024-65535: a/b = 80")
    assert "port 8871 is given to two models" in error_of(write(
        tmp_path, '[local]\nports = { "a/b" = 8871, "c/d" = 8871 }\n'))
    assert "local.port: unknown key" in error_of(write(tmp_path, "[local]\nport = 8871\n"))


@pytest.mark.parametrize("value, said", [
    ("sk-abc12345\r\n", "has a carriage return and line feed around the key (a file saved with "
                        "Windows line endings?); GapWatch uses the key without it"),
    ("sk-abc12345 ", "has a space around the key; GapWatch uses the key without it"),
    ('"sk-abc12345"', "holds the key in quotes"),
    ("sk-abc 12345", "has a space inside the key"),
    ("sk-abc\t12345", "has a tab inside the key"),
])
def test_a_key_pasted_with_extra_characters_is_cleaned_or_refused_in_one_line(
        tmp_path, monkeypatch, value, said):
    """Issue #26: the warning names the variable and what is wrong, never the value; a cleaned
    key is sent without the whitespace, a refused one is never sent."""
    monkeypatch.setenv("GAPWATCH_TEST_OPENAI_KEY", value)
    config = load_config(write(tmp_path, GOOD_MODEL))
    [warning] = config.missing_keys()
    assert "environment variable GAPWATCH_TEST_OPENAI_KEY " + said in warning
    assert "abc12345" not in warning and "abc 12345" not in warning
    if "GapWatch uses the key without it" in said:
        assert config.models[0].api_key() == "sk-abc12345"
    else:
        with pytest.raises(GapWatchError, match="GAPWATCH_TEST_OPENAI_KEY"):
            config.models[0].api_key()
