"""`radar portal`: start the Streamlit app on localhost against a warehouse."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).with_name("app.py")


def command(port: int, headless: bool = True) -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port),
            "--server.address", "localhost", "--server.headless", str(headless).lower(),
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
            "--client.toolbarMode", "viewer"]


def launch(db: Path, port: int = 8501, headless: bool = True) -> int:
    """Serve the portal until Ctrl+C or SIGTERM, which are passed on to the Streamlit server so it
    never outlives this command. Headless by default: Streamlit's first-run prompt would otherwise
    wait for input, and the URL printed here is all a user needs."""
    env = os.environ | {"RADAR_DB": str(Path(db).resolve())}
    print(f"Account Radar portal on http://localhost:{port}  (warehouse {db}; Ctrl+C stops it)", flush=True)
    child = subprocess.Popen(command(port, headless), env=env)

    def forward(signum, _frame):
        child.send_signal(signum)
    previous = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        return child.wait()
    except KeyboardInterrupt:  # the terminal sent SIGINT to both; wait for the child to finish
        return child.wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
