"""`radar portal`: start the Streamlit app on localhost against a warehouse."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).with_name("app.py")


def command(port: int, headless: bool = True) -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port),
            "--server.address", "localhost", "--server.headless", str(headless).lower(),
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]


def launch(db: Path, port: int = 8501, headless: bool = True) -> int:
    """Serve the portal until Ctrl+C. Headless by default: Streamlit's first-run prompt would
    otherwise wait for input, and the URL printed here is all a user needs."""
    env = os.environ | {"RADAR_DB": str(Path(db).resolve())}
    print(f"Account Radar portal on http://localhost:{port}  (warehouse {db}; Ctrl+C stops it)", flush=True)
    try:
        return subprocess.call(command(port, headless), env=env)
    except KeyboardInterrupt:
        return 0
