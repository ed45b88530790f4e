"""pytest plugin for bench/mutation.py: tests that run a module in a child process cover it.

mutmut learns which tests cover a function by recording, in the pytest process, the calls
that pass through its trampolines. Code that runs in a child process (the SIGKILL spool test
kills a real `python -m collectors run latency`) is invisible to that, so mutmut would never
run that test against the module's mutants. This plugin, loaded only by the bench
(`-p bench.mutation_plugin`), records such a test as covering every function of the files
`GAPWATCH_MUTATION_SUBPROCESS` names (JSON: {"tests": [node id prefixes], "files": [paths]}).
The child itself runs the mutant: it inherits mutmut's MUTANT_UNDER_TEST.
"""

import json
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent  # the mutants/ copy when mutmut runs
ORIGINAL = re.compile(r"^\s*def ((?:x_|xǁ)\w+?)__mutmut_orig\(", re.MULTILINE)


def _settings() -> dict:
    return json.loads(os.environ.get("GAPWATCH_MUTATION_SUBPROCESS") or '{"tests": [], "files": []}')


def _functions(files: list[str]) -> list[str]:
    """mutmut's names of every mutated function in `files`: `collectors.runner.xǁJournalǁ_loop`."""
    names = []
    for file in files:
        path = ROOT / file
        module = file.removesuffix(".py").replace("/", ".")
        if path.exists():
            names += [f"{module}.{name}" for name in ORIGINAL.findall(path.read_text())]
    return names


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    yield
    settings = _settings()
    if os.environ.get("MUTANT_UNDER_TEST") != "stats":
        return
    if not any(item.nodeid.startswith(prefix) for prefix in settings["tests"]):
        return
    from mutmut.stats import record_trampoline_hit

    for name in _functions(settings["files"]):
        record_trampoline_hit(name)
