"""Private packs: the user's own items from a folder; hashes, not text, in the database.

The model is the reference server (a mock, tests/reference_server.py) because the test
needs a known answer: `ref-n1` always answers `t0`.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from reference_server import ReferenceServer
from test_capability import ref_models, write_config

from collectors import capability
from collectors.runner import Run
from collectors.tasks.private import load_file, load_folders
from collectors.tasks.base import PackError
from warehouse.storage import db

REPO = Path(__file__).resolve().parent.parent
TOML_PACK = '''dimension = "understanding"
version = "1"
scorer = "exact"

[[items]]
id = "q1"
prompt = "Say t0."
answer = "t0"

[[items]]
id = "q2"
prompt = "Say t1."
answer = "t1"
'''
JSONL_PACK = '''{"pack": {"dimension": "reasoning", "version": "7", "name": "my-sums", "store_text": true}}
{"id": "s1", "prompt": "What is 0 + 0? Answer t-number.", "answer": "t0", "scorer": "regex", "scorer_args": {"pattern": "t0"}}
{"id": "s2", "prompt": "Two?", "answer": 2, "scorer": "numeric", "scorer_args": {"abs_tol": 0.5}}
'''


def folder_with(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "private-packs"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def test_private_packs_are_asked_scored_and_stored_as_hashes(db_copy, tmp_path):
    folder = folder_with(tmp_path, **{"tickets.toml": TOML_PACK, "sums.jsonl": JSONL_PACK})
    with ReferenceServer(models=["ref-n1"]) as server, \
            Run("capability", db_path=db_copy) as run:
        capability.collect(run, ref_models(server.base_url, {"ref/echo": "ref-n1"}),
                           capability.Settings(packs=("tickets", "my-sums"), private_folders=(str(folder),),
                                               seed=1), progress=False)
    assert run.warnings == [] and run.status == "ok"
    with db.reading(db_copy) as con:
        items = con.execute("SELECT pack, pack_version, item_id, variant, score, response "
                            "FROM capability_item_result WHERE run_id = ? ORDER BY pack, item_id",
                            [run.run_id]).fetchall()
        scores = dict(con.execute("SELECT metric, value FROM capability_scores WHERE run_id = ?",
                                  [run.run_id]).fetchall())
    tickets = [row for row in items if row[0] == "tickets"]
    assert [(r[2], r[3], r[4]) for r in tickets] == [("q1", "fixed", 1.0), ("q2", "fixed", 0.0)]
    assert all(r[5].startswith("sha256:") and "t0" not in r[5] for r in tickets)  # no answer text
    assert tickets[0][1].startswith("1+") and len(tickets[0][1]) == 10
    sums = [row for row in items if row[0] == "my-sums"]
    assert [r[5] for r in sums] == ["t0 ", "t0 "]  # store_text = true keeps the text
    assert scores == {"understanding": 0.5, "understanding_fixed": 0.5, "reasoning": 0.5,
                      "reasoning_fixed": 0.5}  # no fresh twins, so no fixed-minus-fresh


def test_editing_items_without_a_version_bump_still_gets_a_new_version(tmp_path):
    folder = folder_with(tmp_path, **{"tickets.toml": TOML_PACK})
    before = load_file(folder / "tickets.toml").version
    (folder / "tickets.toml").write_text(TOML_PACK.replace("Say t1.", "Say t1, please."))
    after = load_file(folder / "tickets.toml").version
    assert before.split("+")[0] == after.split("+")[0] == "1" and before != after


BROKEN = {
    "syntax.toml": ('dimension = "memory"\nversion = 1 2\n', "syntax.toml: Expected newline"),
    "not-json.jsonl": ('{"pack": {"dimension": "memory", "version": "1"}}\n{"id": "a", "prompt": "p", '
                       '"answer": "x", "scorer": "exact"}\n{"id": "b",\n',
                       "not-json.jsonl:3: not JSON"),
    "missing.toml": (TOML_PACK.replace('prompt = "Say t1."\n', ""),
                     "missing.toml: items[1]: prompt: Field required"),
    "scorer.toml": (TOML_PACK.replace('scorer = "exact"\n', 'scorer = "vibes"\n'),
                    "scorer.toml: items[0]: q1: unknown scorer 'vibes'"),
    "twice.toml": (TOML_PACK.replace('id = "q2"', 'id = "q1"'), "twice.toml: item id 'q1' is used more than once"),
    "key.toml": (TOML_PACK.replace('version = "1"\n', 'version = "1"\nversoin = "2"\n'),
                 "key.toml: pack: versoin: Extra inputs are not permitted"),
    "option.toml": (TOML_PACK.replace('answer = "t0"\n', 'answer = "t0"\nscorer_args = {tolerance = 1}\n'),
                    "option.toml: items[0] (q1): scorer 'exact' has no option 'tolerance'"),
    "header.jsonl": ('{"id": "a"}\n', "header.jsonl:1: the first line must be"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_private_pack_is_one_message_naming_file_and_place(tmp_path, name):
    text, expected = BROKEN[name]
    folder = folder_with(tmp_path, **{name: text, "tickets.toml": TOML_PACK})
    packs, problems = load_folders([folder])
    assert list(packs) == ["tickets"]  # the good pack still loads
    assert len(problems) == 1 and expected in problems[0], problems
    with pytest.raises(PackError):
        load_file(folder / name)


def test_the_config_points_the_cli_at_the_folder(db_copy, tmp_path):
    folder = folder_with(tmp_path, **{"tickets.toml": TOML_PACK})
    with ReferenceServer(models=["ref-n1"]) as server:
        config = write_config(tmp_path / "gapwatch.toml", server.base_url, {"ref/echo": "ref-n1"})
        config.write_text(config.read_text() + f'\n[collectors.capability]\nschedule = "0 3 * * *"\n'
                                                f'private_packs = ["{folder}"]\n')
        env = {"GAPWATCH_DB": str(db_copy), "GAPWATCH_CONFIG": str(config)}
        done = subprocess.run([sys.executable, "-m", "collectors", "run", "capability", "--quiet", "--packs",
                               "tickets", "--dry-run"], cwd=REPO, env={**os.environ, **env},
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "tickets" in done.stdout and "understanding" in done.stdout


def test_private_pack_folders_are_never_shipped():
    assert "private-packs/" in (REPO / ".gitignore").read_text().splitlines()
