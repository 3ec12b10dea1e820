"""A throwaway PostgreSQL cluster on 127.0.0.1, owned by the process that starts it."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

_UNPRIVILEGED_USER = "postgres"


def find_pg_bindir() -> Path:
    """Where ``initdb``/``pg_ctl`` live: $PG_BINDIR, PATH, or Debian's versioned dir."""
    env = os.environ.get("PG_BINDIR")
    candidates: list[Path] = [Path(env)] if env else []
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    debian = Path("/usr/lib/postgresql")
    if debian.is_dir():
        versions = sorted(
            (p for p in debian.iterdir() if (p / "bin" / "pg_ctl").exists()),
            key=lambda p: int(p.name) if p.name.isdigit() else 0,
            reverse=True,
        )
        candidates.extend(p / "bin" for p in versions)
    for candidate in candidates:
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    raise RuntimeError(
        "PostgreSQL server binaries not found: install Debian's 'postgresql' package "
        "(.ci/run does) or set PG_BINDIR to the directory holding initdb and pg_ctl"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PostgresServer:
    """Start with ``with PostgresServer() as pg:``; ``pg.dsn(db)`` gives a connection string.

    Trust auth on 127.0.0.1 only; the data directory is removed on exit.
    """

    def __init__(self, port: int | None = None, superuser: str = "postgres") -> None:
        self.port = port or free_port()
        self.superuser = superuser
        self.host = "127.0.0.1"
        self._bindir = find_pg_bindir()
        self._tmp: Path | None = None
        self._run_as: str | None = None

    @property
    def datadir(self) -> Path:
        assert self._tmp is not None, "server not started"
        return self._tmp / "data"

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.superuser}@{self.host}:{self.port}/{dbname}"

    def _cmd(self, args: Sequence[str]) -> list[str]:
        if self._run_as:
            return ["runuser", "-u", self._run_as, "--", *args]
        return list(args)

    def start(self) -> PostgresServer:
        self._tmp = Path(tempfile.mkdtemp(prefix="gdpr-pg-"))
        if os.geteuid() == 0:
            self._run_as = _UNPRIVILEGED_USER
            entry = pwd.getpwnam(_UNPRIVILEGED_USER)
            os.chown(self._tmp, entry.pw_uid, entry.pw_gid)
        subprocess.run(
            self._cmd(
                [
                    str(self._bindir / "initdb"),
                    "-D",
                    str(self.datadir),
                    "-U",
                    self.superuser,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                ]
            ),
            check=True,
            capture_output=True,
        )
        self._pg_ctl_start()
        return self

    def _pg_ctl_start(self) -> None:
        assert self._tmp is not None, "server not started"
        options = (
            f"-c listen_addresses={self.host} -c port={self.port} "
            f"-c unix_socket_directories={self._tmp} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )
        subprocess.run(
            self._cmd(
                [
                    str(self._bindir / "pg_ctl"),
                    "-D",
                    str(self.datadir),
                    "-o",
                    options,
                    "-l",
                    str(self._tmp / "server.log"),
                    "-w",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )
        self._wait_ready()

    # -- faults: what a failover, an outage or a hung host does to the clients -----------

    def halt(self, mode: str = "fast") -> None:
        """Stop the server and keep its data (``resume`` brings it back on the same port).

        ``fast`` is a clean shutdown that closes every client connection, as a failover does;
        ``immediate`` is a crash.
        """
        subprocess.run(
            self._cmd([str(self._bindir / "pg_ctl"), "-D", str(self.datadir), "-m", mode, "stop"]),
            check=True,
            capture_output=True,
        )

    def resume(self) -> None:
        self._pg_ctl_start()

    def restart(self) -> None:
        self.halt()
        self.resume()

    def _pids(self) -> list[int]:
        """The postmaster and every process it forked (backends, checkpointer, ...)."""
        pid_file = self.datadir / "postmaster.pid"
        if not pid_file.exists():
            return []  # not running
        postmaster = int(pid_file.read_text().split()[0])
        pids = [postmaster]
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # the command name is in parentheses and may hold spaces: parse after it
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == postmaster:
                pids.append(int(entry.name))
        return pids

    def freeze(self) -> None:
        """SIGSTOP the whole server: sockets stay open and the kernel still ACKs, but
        nothing answers, as with a hung host or a stalled storage layer."""
        for pid in self._pids():
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in self._pids():
            os.kill(pid, signal.SIGCONT)

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.host, self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"PostgreSQL did not accept connections on port {self.port}")

    def create_database(self, name: str) -> str:
        """Create ``name`` (a plain identifier) and return its DSN."""
        if not name.replace("_", "").isalnum():
            raise ValueError(f"database name {name!r} must be letters, digits and '_'")
        import psycopg  # only callers that create databases need the driver

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def stop(self) -> None:
        if self._tmp is None:
            return
        with contextlib.suppress(OSError, ValueError):
            self.thaw()  # a frozen server would never shut down
        subprocess.run(
            self._cmd(
                [str(self._bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "stop"]
            ),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(self._tmp, ignore_errors=True)
        self._tmp = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
