"""A throwaway PostgreSQL server for tests, started with initdb/pg_ctl when the binaries exist.

The server refuses to run as root, so as root it runs as the `postgres` user in a folder that user
owns. It listens on loopback only and is stopped (and its folder removed) when the test ends.
"""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def available() -> bool:
    return all(shutil.which(b) for b in ("initdb", "pg_ctl")) and (os.geteuid() != 0 or _has_user("postgres"))


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextmanager
def server() -> Iterator[str]:
    """Yield a SQLAlchemy URL for a fresh, empty database on a private server."""
    root = Path(tempfile.mkdtemp(prefix="radar-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
    port = _free_port()
    run = lambda cmd: subprocess.run(_as_server_user(cmd), check=True, capture_output=True)  # noqa: E731
    run(["initdb", "-D", str(data), "-U", "radar", "--auth=trust", "-E", "UTF8"])
    run(["pg_ctl", "-D", str(data), "-l", str(root / "log"), "-w", "-t", "60", "-o",
         f"-p {port} -k {root} -c listen_addresses=127.0.0.1", "start"])
    try:
        yield f"postgresql+psycopg://radar@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_server_user(["pg_ctl", "-D", str(data), "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
