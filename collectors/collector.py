"""What every collector declares once, in its own module: `COLLECTOR = Collector(...)`.

Why: adding a collector used to mean editing the jobs table, the CLI's subcommand, options,
help and dispatch, the scheduler's special case and the Runs page's list. Now its module says
its name, table, natural key, `run` options and functions here, collectors/registry.py lists
it in one line, and the CLI, the jobs, the scheduler and the Runs page read the registry.
This module imports nothing heavy: the registry and the CLI import it for every command.
"""

import argparse
import sys
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Option:
    """One option of `python -m collectors run NAME`: argparse's flags and keywords."""

    flags: tuple[str, ...]
    settings: dict


def option(*flags: str, **settings) -> Option:
    return Option(flags, settings)


@dataclass(frozen=True)
class Collector:
    """A collector: `command` runs it from the CLI, `job` from the scheduler."""

    name: str
    table: str  # where its rows go (`run.add(table, rows)`)
    natural_key: tuple[str, ...]  # what makes a row unique: a retried or resumed run stores it once
    summary: str  # what it does, in `run --help`'s list
    details: str  # more, in its own `run NAME --help`
    command: Callable  # (args, config, models) -> exit code, after the CLI loaded them
    job: Callable  # (run, models, config) -> None: one scheduled run
    options: tuple[Option, ...] = ()
    # (args, config, models) -> None: refuse a bad option or input file with a GapWatchError
    # before the CLI opens or writes anything (validate first, write after)
    check: Callable | None = None


def report(run, *more: str) -> None:
    """The line every `run` command prints first: id, outcome, rows and warnings."""
    print(", ".join([f"run {run.run_id}: {run.outcome}", f"{run.n_rows} rows",
                     f"{len(run.warnings)} warnings", *more]))


def exit_code(run) -> int:
    """0: stored (ok or partial); 1: failed; 3: measured, but its rows wait in the spool."""
    if run.n_spooled:
        print(f"error: the warehouse stayed busy: {run.n_spooled} rows of run {run.run_id} wait in "
              f"{run.spool_dir}; they land with the next run or scheduler start", file=sys.stderr)
        return 3
    return 0 if run.status in ("ok", "partial") else 1


def ints(text: str) -> list[int]:
    """An argparse type: whole numbers of 1 or more separated by commas (`--concurrency 1,4`)."""
    try:
        numbers = [int(x) for x in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not whole numbers separated by commas, "
                                         "e.g. 1,4") from None
    if min(numbers) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: each number must be 1 or more, e.g. 1,4")
    return numbers


def _bounded(parse, low: float, strictly: bool, kind: str, rule: str):
    """An argparse type: `parse(text)`, at least `low` (above it if `strictly`), finite."""
    def checked(text: str):
        try:
            value = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {kind}") from None
        if not (value > low if strictly else value >= low) or value == float("inf"):
            raise argparse.ArgumentTypeError(f"{text!r}: {rule}")
        return value
    return checked


positive = _bounded(int, 1, False, "a whole number", "must be 1 or more")  # --requests 4
counts = _bounded(int, 0, False, "a whole number", "must be 0 or more")  # --fresh 0: none
usd = _bounded(float, 0, True, "an amount, e.g. 0.50", "must be above 0, e.g. 0.50")  # --max-usd
