"""Where things live. Every default path comes from here; nothing else hard-codes one.

Pure constants and small functions: importing this module touches nothing on disk.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
SAMPLE_DIR = DATA_DIR / "sample"
MLRUNS_DIR = ROOT / "mlruns"
FEATURES_CONFIG = Path(__file__).resolve().parent / "config"


def default_db() -> Path:
    """The warehouse path: $RADAR_DB if set, else data/radar.duckdb."""
    return Path(os.environ.get("RADAR_DB") or DATA_DIR / "radar.duckdb")


def tracking_uri() -> str:
    """MLflow tracking URI: $MLFLOW_TRACKING_URI if set, else SQLite inside mlruns/."""
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{MLRUNS_DIR / 'mlflow.db'}"

