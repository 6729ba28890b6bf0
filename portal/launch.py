"""`radar portal`: start the Streamlit app on localhost against a warehouse."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from portal.access import auth_mode, refusal_to_serve

APP = Path(__file__).with_name("app.py")


def command(port: int, headless: bool = True, address: str = "localhost") -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port),
            "--server.address", address, "--server.headless", str(headless).lower(),
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
            "--client.toolbarMode", "viewer"]


def launch(db: Path, port: int = 8501, headless: bool = True, address: str = "localhost") -> int:
    """Serve the portal until Ctrl+C or SIGTERM, which are passed on to the Streamlit server so it
    never outlives this command. Headless by default: Streamlit's first-run prompt would otherwise
    wait for input, and the URL printed here is all a user needs."""
    problem = refusal_to_serve(address, auth_mode())
    if problem:
        raise PermissionError(f"not starting: {problem}")
    env = os.environ | {"RADAR_DB": str(Path(db).resolve())}
    print(f"Account Radar portal on http://{address}:{port}  (warehouse {db}; sign-in: {auth_mode()}; "
          "Ctrl+C stops it)", flush=True)
    child = subprocess.Popen(command(port, headless, address), env=env)

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
