"""Do the tests catch a defect? A mutation score per module, with mutmut.

    pip install -r bench/requirements-mutation.txt
    nice -n 10 python -m bench.mutation                      # every module below
    nice -n 10 python -m bench.mutation --module spool       # one (repeat --module for more)
    nice -n 10 python -m bench.mutation --module spool --jobs 1 --keep
    nice -n 10 python -m bench.mutation --module analysis --sample 400   # a random 400 of ~11,500

mutmut (a maintained tool, pinned in bench/requirements-mutation.txt) puts small defects into
a module one at a time (`<` for `<=`, `None` for a value, a dropped argument, a flipped flag)
and runs the quick tests that cover the changed function; a mutant no test notices
*survives*. Why these modules: a silent defect there misleads a user without any error (a
verdict, a refused query, a secret in a log, a lost measurement, a misdated price, a score's
interval).

Each module is mutated in a copy of the repository (`mutants/` inside a work folder under
data/mutation/, removed afterwards unless --keep), so the checkout stays untouched and runs of
different modules do not share state. mutmut runs each mutant's tests in a forked pytest;
tests that start child processes (the CLI, the reference server, a SIGKILLed run) run the
mutant there too, since the child inherits MUTANT_UNDER_TEST; bench/mutation_plugin.py tells
mutmut which tests cover a module only through a child. Where the public-history import never
runs a module, the warehouse the tests copy is built once (GAPWATCH_TEST_BUILT_DB) instead of
once per mutant.

Prints, per module: mutants, killed (a test failed or it timed out), survived (tests ran and
passed), not covered (no selected test reaches the function) and the score, killed over
all; then every survivor with its diff. A bench, not part of CI: run it under `nice`, and
record the table with `uptime`'s load in docs/performance.md.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "data" / "mutation"
# mutmut's exit codes per mutant (mutmut/stats.py: status_by_exit_code)
KILLED = {1, 3, -24, 24, 152, 255, 36, -11, -9}  # a test failed, pytest errored, or a timeout
SURVIVED = {0}
NOT_COVERED = {33, 5}


@dataclass(frozen=True)
class Target:
    files: tuple[str, ...]  # source files mutmut changes
    mutants: tuple[str, ...]  # which of their functions (fnmatch on mutmut's mutant names)
    tests: tuple[str, ...]  # the quick tests that cover them (`-m "not slow"` applies)
    through_child: tuple[str, ...] = ()  # tests that run the code only in a child process
    shared_db: bool = True  # the public-history import never runs this code
    why: str = ""


TARGETS = {
    "spool": Target(
        files=("collectors/spool.py", "collectors/runner.py"),
        mutants=("collectors.spool.*", "collectors.runner.xǁJournalǁ*",
                 "collectors.runner.xǁRunǁsave_buffer__*", "collectors.runner.x_recover_dead_runs__*",
                 "collectors.runner.x_abandon_dead__*"),
        tests=("tests/test_spool.py", "tests/test_spool_kill.py"),
        # Every one of them also runs the code in a child: a landing process, a SIGKILLed run.
        through_child=("tests/test_spool.py", "tests/test_spool_kill.py"),
        why="rows a SIGKILL or a busy warehouse must not lose"),
    "price periods": Target(
        files=("warehouse/storage/price_periods.py",),
        mutants=("warehouse.storage.price_periods.*",),
        tests=("tests/test_prices.py",),
        why="when a price held: a misdated period misstates every cost"),
    "capability scores": Target(
        files=("collectors/capability_scores.py",),
        mutants=("collectors.capability_scores.*",),
        tests=("tests/test_capability.py::test_scores_exclude_faults_and_repeat_exactly",
               "tests/test_capability.py::test_a_score_whose_items_differ_is_stored_with_an_interval_of_some_width",
               "tests/test_capability.py::test_empty_garbage_and_refusals_score_zero_faults_are_not_scores",
               # stores scores of items written directly, as imports do (`store_scores`)
               "tests/test_method_changes.py::test_the_view_finds_arena_methods_pack_versions_and_new_machines"),
        why="the interval a score is read with"),
    "scoring": Target(
        files=("collectors/scoring.py",),
        mutants=("collectors.scoring.*",),
        tests=("tests/test_scoring.py", "tests/test_task_packs.py",
               "tests/test_capability.py::test_local_stop_sequences_are_where_the_scorer_cuts_anyway"),
        why="whether an answer counts as right"),
    # The whole package has ~11,500 mutants: run it with --sample (a random sample of them; the
    # score is printed with its 95% interval). Its tests are the whole quick suite over a
    # warehouse built once by the unmutated code, so a mutant of code that runs only during the
    # public import is seen only by tests that refresh a warehouse of their own: the score is,
    # if anything, low.
    "analysis": Target(
        files=tuple(sorted(str(p.relative_to(REPO)) for p in (REPO / "warehouse/analysis").glob("*.py")
                           if p.name != "__init__.py")),
        mutants=("warehouse.analysis.*",),
        tests=("tests",),
        why="the verdicts themselves"),
    # The part of the analysis package the defects lived in, over the tests that
    # recompute verdicts (function tests, and tiny real warehouses refreshed by the mutant):
    # the whole package, with its tests on the full import, is ~4,900 lines and needs a fresh
    # import per mutant (hours on two cores).
    "verdicts": Target(
        files=("warehouse/analysis/verdicts.py",),
        mutants=tuple(f"warehouse.analysis.verdicts.x_{f}__*" for f in (
            "compute", "find_steps", "period_verdicts", "periods", "recent", "ends_agree",
            "with_segments", "_join")),
        tests=("tests/test_trends.py", "tests/test_verdict_wiring.py::test_no_stored_trend_contradicts_its_own_end_points",
               "tests/test_verdict_wiring.py::test_the_board_built_from_production_rows_has_a_widening_and_a_narrowing",
               "tests/test_verdict_wiring.py::test_a_step_without_a_recorded_cause_is_fitted_with_the_trend",
               "tests/test_verdict_wiring.py::test_a_recorded_run_context_change_splits_the_series_and_is_not_a_level_shift",
               "tests/test_verdict_periods.py::test_a_level_shift_at_a_listing_change_is_not_called_widening",
               "tests/test_verdict_periods.py::test_the_recent_window_never_reaches_back_across_a_break",
               "tests/test_verdict_periods.py::test_a_verdict_whose_ends_moved_the_other_way_is_no_clear_change",
               "tests/test_verdict_periods.py::test_only_a_segment_after_a_recorded_break_says_it_begins_at_one",
               "tests/test_verdict_periods.py::test_the_open_models_lag_is_tested_once_a_month_not_once_a_release",
               "tests/test_verdict_periods.py::test_a_measured_series_breaks_where_a_model_moves_to_a_new_machine"),
        why="which period a verdict covers, its BH family, its end points, its breaks and steps"),
    "sql guard": Target(
        files=("warehouse/contract/sql_guard.py",),
        mutants=("warehouse.contract.sql_guard.*",),
        tests=("tests/test_sql_guard.py", "tests/test_sql_worker.py"),
        why="what a dashboard visitor's SQL may do"),
    "redaction": Target(
        files=("core/redaction.py",),
        mutants=("core.redaction.*",),
        tests=("tests/test_redaction.py", "tests/test_key_leaks.py", "tests/test_providers.py"),
        why="secrets kept out of rows, logs and pages"),
}
# Folders and files the tests need besides the packages (mutmut copies these unmutated).
PACKAGES = ("collectors", "warehouse", "core", "pages", "bench")
ALSO = ("tests", ".gitignore", "NOTICE", "dashboard.py", "gapwatch.toml", "pytest.ini",
        ".importlinter", ".streamlit", "static", "docs", "README.md", "requirements.txt")


@dataclass
class Outcome:
    name: str
    target: Target
    codes: dict  # mutant name -> mutmut exit code
    seconds: float
    diffs: dict  # surviving mutant -> its diff

    def count(self, codes: set) -> int:
        return sum(code in codes for code in self.codes.values())

    @property
    def score(self) -> float:
        return self.count(KILLED) / len(self.codes) if self.codes else float("nan")


def workspace(name: str) -> Path:
    """A fresh copy of the checkout's files (tracked and new, not ignored) for one module."""
    folder = WORK / name.replace(" ", "-")
    shutil.rmtree(folder, ignore_errors=True)
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        source = REPO / rel
        if source.is_file():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / rel)
    return folder


def write_config(folder: Path, target: Target) -> None:
    lines = ["[mutmut]", "source_paths =", *(f"    {p}" for p in PACKAGES),
             "only_mutate =", *(f"    {f}" for f in target.files),
             "also_copy =", *(f"    {p}" for p in ALSO),
             "pytest_add_cli_args_test_selection =", *(f"    {t}" for t in target.tests),
             "pytest_add_cli_args =", "    -m", "    not slow", "    -p", "    bench.mutation_plugin",
             "    -p", "    no:cacheprovider",
             # Each mutant is a pytest session: kept, their temp folders (a warehouse copy per
             # test) filled 73 GB of /tmp in one 400-mutant run and the disk with it.
             "    -o", "    tmp_path_retention_policy=none",
             # Forked from a server that holds no DuckDB connection or thread of a finished test.
             "process_isolation = forkserver", "use_git_change_detection = false",
             # The machine is shared and loaded: a slow test is not a hung mutant.
             "timeout_multiplier = 30.0", "timeout_constant = 10.0"]
    (folder / "setup.cfg").write_text("\n".join(lines) + "\n")


def build_warehouse(folder: Path) -> Path:
    """The warehouse every test copies, built once from the public history (in a child, so
    this process never imports the code under test)."""
    path = folder / "prebuilt" / "gapwatch.duckdb"
    subprocess.run([sys.executable, "-c", "import sys; from warehouse.bootstrap import init; "
                    "init(sys.argv[1])", str(path)], cwd=folder, check=True)
    return path


GENERATE = """
from mutmut.__main__ import (copy_also_copy_files, copy_src_dir, create_mutants,
                             set_mutant_under_test, setup_source_paths)
set_mutant_under_test("mutant_generation")
copy_src_dir(); copy_also_copy_files(); setup_source_paths(); create_mutants(int(__import__("sys").argv[1]))
"""


def sampled(folder: Path, target: Target, jobs: int, env: dict, size: int, seed: int) -> list[str]:
    """`size` of the target's mutants, drawn at random (mutmut generates them all first: its
    names are only known then). mutmut then tests only these; the others are not in the score."""
    import random

    subprocess.run([sys.executable, "-c", GENERATE, str(jobs)], cwd=folder, env=env, check=True,
                   capture_output=True)
    names = sorted(read_codes(folder, target))
    return sorted(random.Random(seed).sample(names, min(size, len(names))))


def run_target(name: str, target: Target, jobs: int, keep: bool, sample: int = 0,
               seed: int = 27) -> Outcome:
    started = time.monotonic()
    folder = workspace(name)
    write_config(folder, target)
    env = {k: v for k, v in os.environ.items() if k not in ("GAPWATCH_TEST_BUILT_DB",
                                                               "MUTANT_UNDER_TEST")}
    env["GAPWATCH_MUTATION_SUBPROCESS"] = json.dumps({"tests": list(target.through_child),
                                                      "files": list(target.files)})
    if target.shared_db:
        env["GAPWATCH_TEST_BUILT_DB"] = str(build_warehouse(folder))
    chosen = sampled(folder, target, jobs, env, sample, seed) if sample else list(target.mutants)
    log = folder / "mutmut.log"
    print(f"== {name}: mutmut in {folder}, its output in {log.name}", flush=True)
    with log.open("w") as out:
        done = subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs),
                               *chosen], cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT)
    codes = read_codes(folder, target)
    if sample:
        codes = {mutant: codes[mutant] for mutant in chosen}
    if done.returncode != 0 and not all(code is not None for code in codes.values()):
        tail = log.read_text(errors="replace").replace("\r", "\n")[-3000:]
        raise SystemExit(f"mutmut failed for {name} (exit {done.returncode}):\n{tail}")
    diffs = show(folder, target, sorted(m for m, c in codes.items() if c in SURVIVED), env)
    outcome = Outcome(name, target, codes, time.monotonic() - started, diffs)
    if not keep:
        shutil.rmtree(folder, ignore_errors=True)
    return outcome


def read_codes(folder: Path, target: Target) -> dict:
    """Each selected mutant's exit code, from mutmut's per-file records."""
    import fnmatch

    codes = {}
    for file in target.files:
        meta = folder / "mutants" / f"{file}.meta"
        if meta.exists():
            for mutant, code in json.loads(meta.read_text())["exit_code_by_key"].items():
                if any(fnmatch.fnmatch(mutant, p) for p in target.mutants):
                    codes[mutant] = code
    return codes


DIFFS = """
import json, os, sys
from mutmut.mutation.diff_apply import get_diff_for_mutant
os.chdir(sys.argv[1])
print(json.dumps({name: get_diff_for_mutant(name, path=path)
                  for name, path in json.loads(sys.stdin.read()).items()}))
"""


def show(folder: Path, target: Target, mutants: list[str], env: dict) -> dict:
    """Each mutant's diff (changed lines only), read by mutmut in one child process."""
    paths = {m: next(f for f in target.files if m.startswith(f.removesuffix(".py").replace("/", ".") + "."))
             for m in mutants}
    out = subprocess.run([sys.executable, "-c", DIFFS, str(folder)], input=json.dumps(paths),
                         capture_output=True, text=True, env=env, check=True)
    return {m: "\n".join(line for line in diff.splitlines() if line.startswith(("+", "-"))
                         and not line.startswith(("+++", "---")))
            for m, diff in json.loads(out.stdout).items()}


def interval(o: Outcome) -> str:
    """The score's 95% interval (Clopper–Pearson): a sample's score is an estimate."""
    from scipy.stats import binomtest

    if not o.codes:
        return "–"
    ci = binomtest(o.count(KILLED), len(o.codes)).proportion_ci(0.95, method="exact")
    return f"[{ci.low:.0%}, {ci.high:.0%}]"


def table(outcomes: list[Outcome]) -> str:
    head = (f"| module | mutants tested | killed | survived | not covered | score | 95% interval | minutes |\n"
            f"|---|---:|---:|---:|---:|---:|---|---:|")
    rows = [f"| {o.name} | {len(o.codes)} | {o.count(KILLED)} | {o.count(SURVIVED)} | "
            f"{o.count(NOT_COVERED)} | {o.score:.0%} | {interval(o)} | {o.seconds / 60:.1f} |"
            for o in outcomes]
    return "\n".join([head, *rows])


def survivors(outcomes: list[Outcome]) -> str:
    """Each survivor with its diff; mutants no selected test reaches, counted per function."""
    parts = []
    for o in outcomes:
        parts += [f"--- {mutant}\n{diff}" for mutant, diff in o.diffs.items()]
        uncovered: dict[str, int] = {}
        for mutant, code in o.codes.items():
            if code in NOT_COVERED:
                function = mutant.rsplit("__mutmut_", 1)[0]
                uncovered[function] = uncovered.get(function, 0) + 1
        parts += [f"--- not covered: {function} ({n} mutants)" for function, n in uncovered.items()]
    return "\n".join(parts) or "(none)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mutation", description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", action="append", choices=sorted(TARGETS),
                        help="only this module (repeatable); default: all")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested at once (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (mutmut show/browse)")
    parser.add_argument("--sample", type=int, default=0, metavar="N",
                        help="test N mutants drawn at random per module, not all (the analysis "
                             "package has ~11,500); the score gets a 95%% interval")
    parser.add_argument("--seed", type=int, default=27, help="the sample's seed (default 27)")
    args = parser.parse_args(argv)
    try:
        import mutmut  # noqa: F401
    except ImportError:
        parser.error("mutmut is not installed: pip install -r bench/requirements-mutation.txt")
    names = args.module or list(TARGETS)
    outcomes = [run_target(name, TARGETS[name], args.jobs, args.keep, args.sample, args.seed)
                for name in names]
    print("\n" + table(outcomes))
    print(f"\nload average (uptime): {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} "
          f"{os.getloadavg()[2]:.1f} on {os.cpu_count()} cores")
    print("\nSurvivors (tests ran and passed), and functions no selected test reaches:\n"
          + survivors(outcomes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
