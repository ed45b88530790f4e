"""Run one explorer query in a worker process with hard limits on time, memory and result size.

Why a process: a query typed into the SQL page can ask DuckDB for gigabytes (`SELECT
range(0, 2000000000)`), and an interrupt does not stop every operator. A thread cannot be killed
and cannot have its own memory ceiling, so inside the dashboard process nothing bounds it. A
separate process can: the OS enforces `RLIMIT_AS` on it, the dashboard kills it at the
wall-clock limit, and when it dies the dashboard stays up.

Why its own interpreter (`python -m warehouse.contract.sql_worker`, talking over pipes) and not
`multiprocessing`: a 'spawn' child re-runs the parent's `__main__` file before it runs its
target. Under `streamlit run` that file is dashboard.py, so every query re-ran the database check
(which builds the database when it is not ready: a write, from a worker meant to only read)
and the default page's queries in bare mode, before starting the user's query; a main script
that itself reached the explorer would start a process while bootstrapping and fail. That is
why 3d6f4cf was reverted. Swapping `sys.modules['__main__']` around `Process.start()` would
race with Streamlit's other session threads, which share that module table, and 'fork' would copy
a process holding DuckDB and Streamlit threads. A fresh interpreter imports only this module,
so it depends on nothing the dashboard does. The ceiling is set by the worker on itself after
its imports (`preexec_fn` is unsafe in a threaded parent such as Streamlit), so the 1 GiB is
what the query may add, not what Python and DuckDB take to start.

The protocol: the request goes in on stdin as JSON; the worker answers on stdout with a line
`ready` once its limits are set (the time limit starts then), then one JSON header line naming
the outcome and, for a result, the pickled DataFrame (the same frame DuckDB's `.df()` gives, so
the page sees what it saw before; the bytes come from this module's own code in a process of the
same user, so unpickling them trusts nothing new). The dashboard reads at most the result cap
plus a header, so even a misbehaving worker cannot fill the dashboard's memory.

Before it runs the statement, the worker asks DuckDB for its plan and refuses any table function
not on `sql_policy`'s allow-list and any table not of the published file (`plan_refusal`): the
guard decided on the parse, the plan is what would run, with macros and catalog views resolved.
A column pandas cannot hold comes back as DuckDB's text (`frame`), so no type crashes the page.

Inside the worker DuckDB's own `memory_limit` (below the OS limit), `threads` and no spilling
are set so that most large queries fail cleanly with DuckDB's message before the OS limit is
reached; a CPU-time limit ends a worker whose dashboard died before it could kill it.
"""

import contextlib
import json
import os
import pickle
import resource
import selectors
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

TIMEOUT_S = 10.0
MEMORY_BYTES = 1 << 30            # address space the query may add to the started worker
DUCKDB_MEMORY = "512MB"
DUCKDB_THREADS = 2
ROW_CAP = 10_000
RESULT_BYTES = 20_000_000        # 20 MB, as the messages count them
START_S = 60.0                    # starting Python and opening the file; not the query's time
HEADER_BYTES = 64 * 1024          # room for the header line beside the result
MAX_WORKERS = 2                   # queries at once per dashboard process: each may take 1 GiB
BUSY_WAIT_S = 5.0                 # how long a query waits for a free worker before it is refused
READY = b"ready\n"
PROJECT_ROOT = str(Path(__file__).resolve().parent.parent.parent)
MEMORY_WORDS = ("out of memory", "bad_alloc", "failed to allocate", "memoryerror",
                "cannot allocate memory")


class QueryLimit(RuntimeError):
    """The query hit one of the explorer's limits; the message is one line naming it."""


class QueryTimeout(QueryLimit):
    """The query ran past the explorer's time limit and its worker was killed."""


class QueryMemory(QueryLimit):
    """The query needed more memory than the explorer allows."""


class ResultTooLarge(QueryLimit):
    """The result is larger than the explorer sends back."""


class ExplorerBusy(QueryLimit):
    """Every worker slot of this dashboard is taken by a running query."""


class QueryError(RuntimeError):
    """DuckDB's own error for the user's query (first line)."""


def memory_message(memory_bytes: int = MEMORY_BYTES) -> str:
    return (f"stopped: the query needed more memory than the explorer allows "
            f"({memory_bytes / (1 << 30):g} GiB)")


def time_message(timeout_s: float = TIMEOUT_S) -> str:
    return f"stopped: the query ran longer than {timeout_s:g} s, the explorer's time limit"


def size_message(size: int, result_bytes: int = RESULT_BYTES) -> str:
    return (f"stopped: the result is {size / 1e6:,.0f} MB, more than the explorer's "
            f"{result_bytes / 1e6:,.0f} MB; select fewer columns or rows")


def busy_message(slots: int = MAX_WORKERS) -> str:
    return (f"stopped: {slots} explorer queries are already running on this dashboard (each may "
            f"use up to 1 GiB); run yours again in a few seconds")


def cut_message(row_cap: int = ROW_CAP) -> str:
    return f"result cut to the first {row_cap:,} rows"


# --- The dashboard's side -------------------------------------------------------------------

# Why a limit on workers at once: each worker may take 1 GiB, and a dashboard serves many
# visitors; without it, a few visitors each running a memory bomb would add up.
_SLOTS = threading.BoundedSemaphore(MAX_WORKERS)


@contextlib.contextmanager
def _slot():
    if not _SLOTS.acquire(timeout=BUSY_WAIT_S):
        raise ExplorerBusy(busy_message())
    try:
        yield
    finally:
        _SLOTS.release()


def run(statement: str, path: str, config: dict, row_cap: int = ROW_CAP,
        timeout_s: float = TIMEOUT_S, memory_bytes: int = MEMORY_BYTES,
        result_bytes: int = RESULT_BYTES):
    """(rows, truncated) for one already-checked statement, run in a killable worker."""
    request = {"statement": statement, "path": str(Path(path).resolve()), "config": config,
               "row_cap": row_cap, "memory_bytes": memory_bytes, "result_bytes": result_bytes,
               "cpu_s": timeout_s * DUCKDB_THREADS + 5}
    with _slot(), tempfile.TemporaryFile() as errors:
        worker = _start(errors)
        reply = _Reply(worker.stdout, result_bytes + HEADER_BYTES)
        try:
            _send(worker, request)
            header, payload = reply.wait(timeout_s)
        finally:
            reply.close()         # a dashboard runs for weeks: no descriptor leaks per query
            _stop(worker)
        errors.seek(0)
        last_error = _last_line(errors.read().decode(errors="replace"))
    return _answer(header, payload, worker.returncode, last_error, memory_bytes, result_bytes)


def _start(errors) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (PROJECT_ROOT, os.environ.get("PYTHONPATH")) if p)}
    return subprocess.Popen([sys.executable, "-m", "warehouse.contract.sql_worker"], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors)


def _send(worker: subprocess.Popen, request: dict) -> None:
    try:
        worker.stdin.write(json.dumps(request).encode())
        worker.stdin.close()
    except BrokenPipeError:       # it died starting; its exit code and stderr say why
        with contextlib.suppress(BrokenPipeError):
            worker.stdin.close()


def _stop(worker: subprocess.Popen) -> None:
    """Kill outright: a worker past its deadline may be deep in DuckDB, where only a signal stops
    it; one that answered is ending anyway."""
    if worker.poll() is None:
        worker.kill()
    worker.wait(5)
    worker.stdout.close()


class _Reply:
    """The worker's stdout, read with deadlines and a byte cap, so a stuck or runaway worker
    can neither block the page past its limit nor fill the dashboard's memory."""

    def __init__(self, stream, cap: int):
        self.fd, self.cap, self.data, self.eof = stream.fileno(), cap, bytearray(), False
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.fd, selectors.EVENT_READ)

    def wait(self, timeout_s: float):
        """(header, payload); header None when the worker died without one."""
        if not self._read_until(time.monotonic() + START_S, lambda: b"\n" in self.data):
            raise QueryLimit(f"stopped: the query worker did not start within {START_S:g} s")
        if self.data.startswith(READY):
            del self.data[:len(READY)]
            if not self._read_until(time.monotonic() + timeout_s, lambda: False):
                raise QueryTimeout(time_message(timeout_s))
        if b"\n" not in self.data:
            return None, b""
        line, payload = bytes(self.data).split(b"\n", 1)
        return json.loads(line), payload

    def close(self) -> None:
        self.selector.close()

    def _read_until(self, deadline: float, done) -> bool:
        """Read until `done()` or end of output; False when the deadline came first."""
        while not (self.eof or done()):
            left = deadline - time.monotonic()
            if left <= 0 or not self.selector.select(left):
                return False
            chunk = os.read(self.fd, 1 << 20)
            self.eof = not chunk
            self.data += chunk
            if len(self.data) > self.cap:
                raise ResultTooLarge(f"stopped: the result is more than the explorer's "
                                     f"{self.cap / 1e6:,.0f} MB; select fewer columns or rows")
        return True


def _answer(header, payload, returncode, last_error, memory_bytes, result_bytes):
    """The rows, or the one-line error the header (or the worker's end) names."""
    if header is None:
        if returncode < 0 or any(w in last_error.lower() for w in MEMORY_WORDS):
            raise QueryMemory(memory_message(memory_bytes))  # killed under its ceiling
        raise QueryLimit(f"stopped: the query worker ended unexpectedly "
                         f"(exit code {returncode}){': ' + last_error if last_error else ''}")
    kind = header["kind"]
    if kind == "ok":
        return pickle.loads(payload), header["truncated"]
    if kind == "memory":
        raise QueryMemory(memory_message(memory_bytes))
    if kind == "too_big":
        raise ResultTooLarge(size_message(header["size"], result_bytes))
    if kind == "refused":
        from warehouse.contract.sql_guard import RefusedQuery

        raise RefusedQuery(header["text"])
    raise QueryError(header["text"])


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


# --- The worker's side (its own interpreter) ----------------------------------------------------

def main() -> None:
    """Read one request, answer `ready` once the limits are set, then one header (and rows)."""
    reply = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)                 # anything a library prints goes to stderr, not into the reply
    request = json.loads(sys.stdin.buffer.read())
    try:
        con = _open(request["path"], request["config"])
        _set_limits(request["memory_bytes"], request["cpu_s"])
        reply.write(READY)
        reply.flush()
        header, payload = _query(con, request)
    except MemoryError:
        header, payload = {"kind": "memory"}, b""
    except Exception as exc:  # DuckDB's error for the user's query: one line back to the page
        header, payload = _describe(exc), b""
    reply.write(json.dumps(header).encode() + b"\n" + payload)
    reply.flush()


def _open(path: str, config: dict):
    """The published file, read-only, configuration locked; warmed so that pandas and the first
    query's buffers are loaded before the memory ceiling is measured."""
    import duckdb

    config = {**config, "memory_limit": DUCKDB_MEMORY, "threads": DUCKDB_THREADS,
              "temp_directory": ""}
    con = duckdb.connect(path, read_only=True, config=config)
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET lock_configuration = true")
    con.execute("SELECT 1").df()
    return con


def _set_limits(memory_bytes: int, cpu_s: float) -> None:
    """Address space: what the started worker has plus `memory_bytes`. CPU time: enough for the
    wall-clock limit on every DuckDB thread, so only an orphaned worker ever meets it."""
    limit = _vm_size() + memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = int(used.ru_utime + used.ru_stime + cpu_s) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))


def _vm_size() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmSize in /proc/self/status: the memory ceiling needs Linux")


def _query(con, request: dict):
    row_cap = int(request["row_cap"])
    query = f"SELECT * FROM (\n{request['statement']}\n) AS q LIMIT {row_cap + 1}"
    refused = plan_refusal(con, query)
    if refused:
        return {"kind": "refused", "text": refused}, b""
    rows = frame(con, query)
    truncated = len(rows) > row_cap
    data = pickle.dumps(rows.head(row_cap), protocol=pickle.HIGHEST_PROTOCOL)
    del rows
    if len(data) > request["result_bytes"]:
        return {"kind": "too_big", "size": len(data)}, b""
    return {"kind": "ok", "truncated": truncated}, data


# DuckDB types pandas holds as they are; any other column becomes text when the DataFrame cannot
# hold it (UHUGEINT, BIGNUM, TIME WITH TIME ZONE, a DATE of infinity ...).
PANDAS_TYPES = {"BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT",
                "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE", "VARCHAR"}


def frame(con, query: str):
    """The query's rows as a DataFrame; a column pandas cannot hold comes back as DuckDB's text,
    named in `frame.attrs["as_text"]` so the page can say so (no DuckDB type may crash it).
    Only when the whole frame fails is each other column tried alone: the rare case pays."""
    import duckdb

    try:
        return con.execute(query).df()
    except (duckdb.NotImplementedException, duckdb.ConversionException):
        described = con.execute(f"DESCRIBE {query}").fetchall()
    as_text = [name for name, kind, *_ in described
               if kind not in PANDAS_TYPES and not _converts(con, query, name)]
    columns = ", ".join(f"CAST({_quoted(name)} AS VARCHAR) AS {_quoted(name)}" if name in as_text
                        else _quoted(name) for name, *_ in described)
    rows = con.execute(f"SELECT {columns} FROM ({query}) AS typed").df()
    rows.attrs["as_text"] = as_text
    return rows


def _converts(con, query: str, name: str) -> bool:
    import duckdb

    try:
        con.execute(f"SELECT {_quoted(name)} FROM ({query}) AS one").df()
    except (duckdb.NotImplementedException, duckdb.ConversionException):
        return False
    return True


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def plan_refusal(con, query: str) -> str | None:
    """Why DuckDB's own plan of the query reads something the explorer refuses, or None.

    The guard decided on the parse; the plan is what will run, with views, macros and catalog
    names resolved (`get_block_size()` is a macro over `pragma_database_size()`): every table
    function in it must be an allowed one, and every table one of the published file's own."""
    from warehouse.contract import sql_policy

    plan = json.loads(con.execute(f"EXPLAIN (FORMAT json) {query}").fetchall()[0][1])
    database = con.execute("SELECT current_database()").fetchone()[0]
    for function, table in _scans(plan):
        if function and not sql_policy.plan_function_allowed(function):
            name = function.lower()
            why = sql_policy.why_refused(name) or "is not a table function the explorer runs"
            return f"`{name}` {why}; the explorer only reads GapWatch's public views."
        if table and not table.startswith(f"{database}.main."):
            return (f"`{table.split('.', 1)[-1]}` is not one of GapWatch's public views, which are "
                    "all the explorer reads.")
    return None


def _scans(node):
    """(table function, table) of every operator of an EXPLAIN (FORMAT json) plan."""
    if isinstance(node, list):
        for child in node:
            yield from _scans(child)
    elif isinstance(node, dict):
        info = node.get("extra_info") if isinstance(node.get("extra_info"), dict) else {}
        if info.get("Function") or info.get("Table"):
            yield info.get("Function"), info.get("Table")
        yield from _scans(node.get("children", []))


def _describe(exc: Exception) -> dict:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if any(_is_memory(e) for e in _chain(exc)):
        return {"kind": "memory"}
    return {"kind": "error", "text": text}


def _chain(exc: BaseException):
    """The exception and its causes. Why: at the ceiling, a C function inside pandas or pickle
    can fail with MemoryError and CPython reports a SystemError ("... returned a result with an
    exception set") whose cause is that MemoryError; the user must still read the memory line."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _is_memory(exc: BaseException) -> bool:
    text = str(exc).lower()
    return (isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryException"
            or any(w in text for w in MEMORY_WORDS))


if __name__ == "__main__":
    main()
