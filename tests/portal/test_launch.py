"""`radar portal` stops its Streamlit server when it is stopped."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serving(port: int) -> bool:
    try:
        return urllib.request.urlopen(f"http://localhost:{port}/_stcore/health", timeout=1).read() == b"ok"
    except OSError:
        return False


def test_sigterm_stops_the_streamlit_child(tmp_path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "radar", "portal", "--db", str(tmp_path / "w.duckdb"),
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=os.environ.copy())
    try:
        deadline = time.time() + 60
        while not serving(port) and time.time() < deadline:
            time.sleep(0.5)
        assert serving(port), "the portal did not start within 60 s"
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        deadline = time.time() + 10
        while serving(port) and time.time() < deadline:
            time.sleep(0.2)
        assert not serving(port), "the Streamlit server outlived `radar portal`"
    finally:
        proc.kill()
