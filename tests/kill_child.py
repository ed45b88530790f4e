"""`python tests/kill_child.py LOG collectors-args...`: the real CLI, plus a line in LOG for each
request the moment it finishes (used by tests/test_kills.py to know what had finished when a
SIGKILL came). Instrumentation only: the collectors run unchanged."""

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from collectors import __main__ as cli, capability, latency, runner  # noqa: E402

LOG = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
RUN_ID = [None]


def note(**fields) -> None:
    os.write(LOG, (json.dumps(fields) + "\n").encode())


def entered(enter):
    def wrapper(self):
        result = enter(self)
        RUN_ID[0] = self.run_id
        note(kind="run", run_id=self.run_id, t=time.time())
        return result
    return wrapper


def latency_request(request):
    def wrapper(model, provider, prompter, workload, concurrency, index):
        row = request(model, provider, prompter, workload, concurrency, index)
        if row is not None and index >= 0:
            note(kind="latency_sample", run_id=RUN_ID[0], t=time.time(),
                 key=[row["model_id"], row["workload"], row["concurrency"], row["request_index"]])
        return row
    return wrapper


def capability_item(ask):
    def wrapper(*args, **kwargs):
        row = ask(*args, **kwargs)
        if row is not None:
            note(kind="capability_item_result", run_id=RUN_ID[0], t=time.time(),
                 key=[row["model_id"], row["pack"], row["pack_version"], row["item_id"],
                      row["variant"], row["seed"]])
        return row
    return wrapper


runner.Run.__enter__ = entered(runner.Run.__enter__)
latency._one_request = latency_request(latency._one_request)
capability.ask_one = capability_item(capability.ask_one)
sys.exit(cli.main(sys.argv[2:]))
