"""Values as a person reads them in sentences and tables: money, shares, days, unknowns."""
from __future__ import annotations

import pytest

from features.catalog import format_value, money


@pytest.mark.parametrize("value, text", [
    (1_200_000, "$1.2M"), (999.4, "$999"), (-48_000, "-$48k"), (12_000, "$12k"), (0, "$0"), (-250, "-$250"),
    (999_999, "$1.0M"), (999.6, "$1k"), (-999_600, "-$1.0M"), (999_400, "$999k"),
])
def test_money(value, text):
    assert money(value) == text


@pytest.mark.parametrize("unit, value, text", [
    ("share", 0.183, "18%"), ("ratio", 1.25, "125%"), ("change", -0.12, "-12%"), ("change", 0.3, "+30%"),
    ("usd", 1_200_000, "$1.2M"), ("days", 1, "1 day"), ("days", 47, "47 days"), ("flag", 1, "yes"),
    ("flag", 0, "no"), ("score", 71.6, "72"), ("users", 1234, "1,234"), ("users", 2.5, "2.5"),
    ("share", float("nan"), "unknown"), ("usd", None, "unknown"),
])
def test_format_value(unit, value, text):
    assert format_value(unit, value) == text
