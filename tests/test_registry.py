"""The collector registry (collectors/registry.py) is the one list the CLI, jobs, scheduler and
Runs page read, and each declaration agrees with the warehouse's tables and keys."""

import subprocess
import sys
import typing

from collectors import jobs, registry
from collectors.__main__ import parser
from core.config import GapWatchConfig
from warehouse.storage import writes


def test_each_registered_collector_declares_itself_with_its_functions():
    for name in registry.NAMES:
        collector = registry.get(name)
        assert collector.name == name
        assert callable(collector.command) and jobs.collector_function(name) is collector.job
        assert collector.table in writes.ROW_TABLES, collector.table


def test_declared_natural_keys_are_the_warehouse_keys():
    """The warehouse keeps its own copy (it may not import collectors): they must not drift."""
    keyed = [c for c in registry.every() if c.table in writes.NATURAL_KEYS]
    assert {c.name for c in keyed} >= {"latency", "capability"}  # something to compare
    for collector in keyed:
        assert collector.natural_key == writes.NATURAL_KEYS[collector.table], collector.name


def test_the_cli_offers_exactly_the_registered_collectors_with_their_options():
    for collector in registry.every():
        args = parser().parse_args(["run", collector.name])
        assert args.collector == collector.name
        for option in collector.options:
            assert hasattr(args, option.flags[0].lstrip("-").replace("-", "_"))


def test_the_config_accepts_the_registered_names():
    accepted = typing.get_args(typing.get_args(GapWatchConfig.model_fields["collectors"].annotation)[0])
    assert set(accepted) == set(registry.NAMES)


def test_listing_collectors_loads_no_collector():
    """The Runs page lists names: that must not load the runner, a provider or scipy."""
    code = ("import sys, collectors.registry as r; r.NAMES; "
            "print(sorted(m for m in sys.modules if m.startswith(('collectors.', 'scipy'))))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout
    assert loaded.strip() == "['collectors.collector', 'collectors.registry']", loaded
