"""A private PostgreSQL server for fault tests: its own data directory and port, started and stopped by the test.

Fault tests stop the database under a running service; they never touch the machine's shared server. The
cluster is created with the machine's `initdb`/`pg_ctl` (Debian keeps them in /usr/lib/postgresql/N/bin). As
root, the server runs as the `postgres` user (PostgreSQL refuses to run as root). Without the binaries the
test is skipped, and fails in CI (`missing_component`).

    with private_cluster() as pg:
        db = Database(pg.url)
        pg.stop()   # the service now sees a refused connection
        pg.start()  # and the same database again
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from service_fixtures import missing_component

__all__ = ["PgCluster", "private_cluster"]


def _bin_dir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PgCluster:
    """One PostgreSQL server in `root`, listening on 127.0.0.1:`port` only, trust auth, database `postgres`."""

    def __init__(self, bin_dir: Path, root: Path, port: int) -> None:
        self.bin_dir, self.root, self.port = bin_dir, root, port
        self.data = root / "data"
        self.log = root / "server.log"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        proc = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8")

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (`fast`: open connections are terminated; `immediate`: as a crash would)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()


@contextmanager
def private_cluster() -> Iterator[PgCluster]:
    """A started private cluster in a directory of its own under the system's temporary directory, stopped and
    removed after.

    Not under pytest's `tmp_path`: pytest makes its per-user directory private (0700) whenever a session starts,
    so another pytest run on the machine could lock the `postgres` user out of a cluster in the middle of a test.
    """
    bin_dir = _bin_dir()
    if bin_dir is None or not (bin_dir / "initdb").exists():
        missing_component("PostgreSQL's initdb and pg_ctl are needed for the fault tests")
    assert bin_dir is not None
    with tempfile.TemporaryDirectory(prefix="arabesque-pg-") as scratch:
        root = Path(scratch) / "pg"
        Path(scratch).chmod(0o711)  # the postgres user must reach its directory inside
        cluster = PgCluster(bin_dir, root, _free_port())
        cluster.init()
        cluster.start()
        try:
            yield cluster
        finally:
            if cluster.running():
                cluster.stop("immediate")
