"""One scheduler per host name across machines, when the warehouse is a lake.

Why: each host's scheduler takes its own share of the jobs (collectors/scheduler.py). The flock
in SingleInstance stops a second scheduler on the same machine, but two machines given the same
host name would both run that share, and every job twice. A lake's catalog is PostgreSQL, whose
session-level advisory locks are made for this: held while the scheduler's connection lives,
released by the server when the process or its machine goes away. It lives in the warehouse
because it opens the catalog database, which only the warehouse does.
"""

import os
import re
import socket
from contextlib import contextmanager, nullcontext

from core.address import resolve
from core.errors import GapWatchError
from warehouse.storage.lake import LakeTarget, parse_target

APPLICATION = "gapwatch scheduler"


def lease_for(db_path, host: str):
    """The host's lease on a lake; nothing to hold for a DuckDB file (one machine has it)."""
    address = resolve(db_path)
    return host_lease(parse_target(address.text), host) if address.is_lake else nullcontext()


@contextmanager
def host_lease(target: LakeTarget, host: str):
    """Hold the advisory lock named after `host` for as long as the block runs."""
    import psycopg

    me = f"{APPLICATION} {host} on {socket.gethostname()} pid {os.getpid()}"
    try:
        con = psycopg.connect(target.conninfo, autocommit=True, application_name=me[:63])
    except psycopg.Error as exc:
        raise GapWatchError(f"cannot reach the lake's catalog to claim host {host!r}: "
                            f"{str(exc).strip().splitlines()[0]}") from None
    try:
        key = f"{APPLICATION} {host}"
        if not con.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [key]).fetchone()[0]:
            raise GapWatchError(f"host {host!r} already has a scheduler ({_holder(con, host)}); one "
                                "scheduler per host name (set GAPWATCH_HOST to tell machines apart)")
        yield
    finally:
        con.close()  # the server releases the lock with the session


def _holder(con, host: str) -> str:
    row = con.execute("SELECT application_name FROM pg_stat_activity WHERE application_name LIKE %s "
                      "AND pid <> pg_backend_pid() LIMIT 1", [f"{APPLICATION} {host} on %"]).fetchone()
    return row[0].removeprefix(f"{APPLICATION} {host} ") if row else "in another process"


def live_schedulers(target: LakeTarget) -> dict[str, str]:
    """Host name -> "on <machine> pid <n>" for every scheduler holding its lease now (for the
    Runs page: on a lake no single machine knows which hosts are scheduling)."""
    import psycopg

    try:
        with psycopg.connect(target.conninfo, connect_timeout=5) as con:
            names = [row[0] for row in con.execute(
                "SELECT application_name FROM pg_stat_activity WHERE application_name LIKE %s",
                [f"{APPLICATION} % on %"]).fetchall()]
    except psycopg.Error:
        return {}
    found = (re.match(rf"^{APPLICATION} (.+?) (on .+)$", name) for name in names)
    return {m.group(1): m.group(2) for m in found if m}
