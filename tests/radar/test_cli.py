"""The radar command line: every subcommand documents itself, and answers fast."""
from __future__ import annotations

import subprocess
import sys

import pytest

from radar import cli

COMMANDS = ["sample", "ingest", "features", "health", "train", "score", "promote", "portal", "demo"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main([command, "--help"])
    assert e.value.code == 0
    assert "usage: radar " + command in capsys.readouterr().out


def test_help_does_not_import_heavy_modules():
    code = ("import sys; from radar import cli\n"
            "try: cli.main(['--help'])\nexcept SystemExit: pass\n"
            "print(sorted(m for m in ('mlflow', 'shap', 'lightgbm', 'streamlit', 'pandas', 'duckdb') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("[]")


def test_bad_date_is_refused_with_a_message(capsys):
    with pytest.raises(SystemExit):
        cli.main(["features", "--as-of", "31/03/2026"])
    assert "not a date (YYYY-MM-DD): '31/03/2026'" in capsys.readouterr().err


def test_missing_warehouse_says_how_to_fix_it(tmp_path, capsys):
    assert cli.main(["features", "--db", str(tmp_path / "none.duckdb")]) == 1
    assert "run `radar ingest SOURCE_DIR`" in capsys.readouterr().err
