"""A real PostgreSQL on loopback for the lake tests: initdb and pg_ctl in a temporary folder.

Both refuse to run as root, so as root they run as the `postgres` user (Debian's package
creates it). CI installs Debian's `postgresql`; elsewhere the tests that need it are skipped
with the reason.
"""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    initdb = found[-1] if found else shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self):
        self.bin = binaries()
        self.folder = Path(tempfile.mkdtemp(prefix="gapwatch-pg-"))
        self.port = free_port()

    def _as_owner(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)

    def start(self) -> "PostgresServer":
        self._as_owner("initdb", "-D", str(self.folder / "data"), "-A", "trust", "-U", "postgres")
        self._as_owner("pg_ctl", "-D", str(self.folder / "data"), "-l", str(self.folder / "log"), "-w",
                       "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1", "start")
        return self

    def stop(self) -> None:
        self._as_owner("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def create_database(self, name: str) -> str:
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-q", "-c",
                        f'CREATE DATABASE "{name}"'], check=True, capture_output=True, timeout=60)
        return f"dbname={name} host=127.0.0.1 port={self.port} user=postgres"
