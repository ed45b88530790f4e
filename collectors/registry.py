"""Every collector, one line each: its name, the module declaring it, and whether its job
covers models.

Why one list: the CLI (`python -m collectors run NAME`), the scheduled jobs
(collectors/jobs.py), the scheduler's job list and the Runs page's start button all read it,
so a new collector is its own module (with `COLLECTOR = Collector(...)`,
collectors/collector.py) plus one line here. The names and `per_model` are read without
importing the module: the dashboard lists collectors without loading their machinery.
"""

import importlib
from dataclasses import dataclass

from collectors.collector import Collector


@dataclass(frozen=True)
class Registered:
    name: str
    module: str  # declares `COLLECTOR`
    per_model: bool = True  # False: one job of no model, run on the upkeep host (prices)


REGISTERED = (
    Registered("latency", "collectors.latency"),
    Registered("prices", "collectors.prices", per_model=False),
    Registered("capability", "collectors.capability"),
    Registered("public", "collectors.public", per_model=False),
    Registered("drift", "collectors.drift"),
)
NAMES = [r.name for r in REGISTERED]
BY_NAME = {r.name: r for r in REGISTERED}


def get(name: str) -> Collector:
    """The collector's declaration (this imports its module)."""
    collector = importlib.import_module(BY_NAME[name].module).COLLECTOR
    if collector.name != name:
        raise ValueError(f"{BY_NAME[name].module} declares {collector.name!r}, not {name!r}")
    return collector


def every() -> list[Collector]:
    return [get(name) for name in NAMES]
