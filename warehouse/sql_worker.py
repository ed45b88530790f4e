"""Run one explorer query in a worker process with hard limits on time, memory and result size.

Why a process: a query typed into the SQL page can ask DuckDB for gigabytes (`SELECT
range(0, 2000000000)`) and an interrupt does not stop every operator. A thread cannot be
killed and cannot have its own memory ceiling, so inside the dashboard process nothing bounds
it. A separate process can: the OS enforces `RLIMIT_AS` on it, the parent kills it at the
wall-clock limit, and when it dies the dashboard stays up. The worker is started with the
'spawn' context (never `fork`: the dashboard holds DuckDB and Streamlit threads).

Inside the worker DuckDB's own `memory_limit` (below the OS limit) and `threads` are set so
that most large queries fail cleanly with DuckDB's message before the OS limit is reached.
"""

import multiprocessing
import pickle
import resource

TIMEOUT_S = 10.0
MEMORY_BYTES = 1 << 30            # address space the query may add to the started worker
DUCKDB_MEMORY = "512MB"
DUCKDB_THREADS = 2
ROW_CAP = 10_000
RESULT_BYTES = 20 * 1024 * 1024
START_S = 60.0                    # starting Python and opening the file; not the query's time


class QueryLimit(RuntimeError):
    """The query hit one of the explorer's limits; the message is one line naming it."""


class QueryTimeout(QueryLimit):
    """The query ran past the explorer's time limit and its worker was killed."""


class QueryMemory(QueryLimit):
    """The query needed more memory than the explorer allows."""


class ResultTooLarge(QueryLimit):
    """The result is larger than the explorer sends back."""


class QueryError(RuntimeError):
    """DuckDB's own error for the user's query (first line)."""


def _gib(n: int) -> str:
    return f"{n / (1 << 30):g} GiB"


def memory_message(memory_bytes: int = MEMORY_BYTES) -> str:
    return f"stopped: the query needed more than {_gib(memory_bytes)} of memory"


def time_message(timeout_s: float = TIMEOUT_S) -> str:
    return f"stopped after {timeout_s:g} s: the query ran past the explorer's time limit"


def cut_message(row_cap: int = ROW_CAP) -> str:
    return f"result cut to the first {row_cap:,} rows"


def run(statement: str, path: str, config: dict, row_cap: int = ROW_CAP,
        timeout_s: float = TIMEOUT_S, memory_bytes: int = MEMORY_BYTES,
        result_bytes: int = RESULT_BYTES):
    """(rows, truncated) for one already-checked statement, run in a killable worker."""
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    worker = ctx.Process(target=_work, daemon=True, name="gapwatch-sql",
                         args=(send, statement, path, config, row_cap, memory_bytes, result_bytes))
    worker.start()
    send.close()
    try:
        if not receive.poll(START_S):
            raise QueryLimit(f"stopped: the query worker did not start within {START_S:g} s")
        try:
            message = receive.recv()                  # ("ready",) or an early error
        except EOFError:
            raise QueryLimit("stopped: the query worker could not start "
                             f"(exit code {worker.exitcode})") from None
        if message[0] == "ready":
            if not receive.poll(timeout_s):
                raise QueryTimeout(time_message(timeout_s))
            try:
                message = receive.recv()
            except EOFError:                          # died mid-query: the OS memory ceiling
                raise QueryMemory(memory_message(memory_bytes)) from None
    finally:
        _stop(worker)
        receive.close()
    kind = message[0]
    if kind == "ok":
        return pickle.loads(message[1]), message[2]
    if kind == "memory":
        raise QueryMemory(memory_message(memory_bytes))
    if kind == "too_big":
        raise ResultTooLarge(f"stopped: the result is {message[1] / 1e6:,.0f} MB, more than the "
                             f"explorer's {result_bytes / 1e6:,.0f} MB; select fewer columns or rows")
    raise QueryError(message[1])


def _stop(worker) -> None:
    if worker.is_alive():
        worker.terminate()
        worker.join(2)
    if worker.is_alive():
        worker.kill()
    worker.join(5)


def _vm_size() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _work(send, statement, path, config, row_cap, memory_bytes, result_bytes) -> None:
    try:
        import duckdb

        config = {**config, "memory_limit": DUCKDB_MEMORY, "threads": DUCKDB_THREADS,
                  "temp_directory": ""}
        con = duckdb.connect(path, read_only=True, config=config)
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET lock_configuration = true")
        con.execute("SELECT 1").df()                 # warm: pandas and the first query's buffers
        limit = _vm_size() + memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        send.send(("ready",))
        rows = con.execute(f"SELECT * FROM (\n{statement}\n) AS q LIMIT {int(row_cap) + 1}").df()
        truncated = len(rows) > row_cap
        data = pickle.dumps(rows.head(row_cap), protocol=pickle.HIGHEST_PROTOCOL)
        del rows
        if len(data) > result_bytes:
            send.send(("too_big", len(data)))
        else:
            send.send(("ok", data, truncated))
    except MemoryError:
        send.send(("memory",))
    except Exception as exc:  # DuckDB's error for the user's query: one line back to the page
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "out of memory" in text.lower() or "bad_alloc" in text.lower() \
                or "failed to allocate" in text.lower():
            send.send(("memory",))
        else:
            send.send(("error", text))
