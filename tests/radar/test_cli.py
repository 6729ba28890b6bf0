"""The radar command line: every subcommand documents itself, and answers fast."""
from __future__ import annotations

import subprocess
import sys

import pytest

from radar import cli

def subcommands() -> list[str]:
    import argparse
    action = next(a for a in cli.parser()._actions if isinstance(a, argparse._SubParsersAction))
    return list(action.choices)


COMMANDS = subcommands()


def test_the_documented_commands_exist():
    assert {"sample", "ingest", "features", "health", "train", "backtest", "score", "promote", "alerts",
            "digest", "qbr", "portal", "demo"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_subcommand_has_help_with_an_example(command, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main([command, "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "usage: radar " + command in out
    assert "example" in out and f"radar {command}" in out.split("example", 1)[1]


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
