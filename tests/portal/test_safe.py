"""Text from the data never runs: no Markdown, HTML, directives or spreadsheet formulas."""
from __future__ import annotations

import io

import pandas as pd
import pytest

from portal import safe


HOSTILE = [
    "![x](https://evil.example/pixel.png)",
    "[Click here to re-login](https://evil.example)",
    "<img src=x onerror=alert(1)>",
    "**bold** _it_ `code` ~~gone~~",
    ":red[alarm] :material/warning: $x^2$",
    "a | table | cell",
    "# heading\n- list",
]


@pytest.mark.parametrize("escape, specials", [(safe.md, "![]()<>*_`~:$#"),  # on screen: Streamlit's too
                                              (safe.md_doc, "[]<>*_`~|#")])  # in a file read elsewhere
@pytest.mark.parametrize("hostile", HOSTILE)
def test_markdown_syntax_in_data_is_escaped(escape, specials, hostile):
    out = escape(hostile)
    for ch in specials:
        assert ch not in out.replace("\\" + ch, ""), f"unescaped {ch!r} in {out!r}"
    assert "\n" not in out


def test_a_document_leaves_ordinary_punctuation_alone():
    text = "Renewal is 68 days away (2027-01-31) with a 42% churn probability on $283k ARR; it's: fine."
    assert safe.md_doc(text) == text


def test_plain_names_read_the_same_once_rendered():
    assert safe.md("Acme Corp") == "Acme Corp"
    assert safe.md(None) == "" and safe.md(float("nan")) == ""


def test_links_encode_the_account_id():
    assert safe.account_link("ACC 1/&x=y") == "/?account=ACC%201%2F%26x%3Dy"


def test_csv_cells_that_would_run_as_formulas_are_neutralised():
    frame = pd.DataFrame({"name": ["=HYPERLINK(\"http://evil\")", "+1", "-2", "@SUM(A1)", "Acme", None],
                          "arr": [-5.0, 1.0, 2.0, 3.0, 4.0, 5.0]})
    back = pd.read_csv(io.BytesIO(safe.csv_bytes(frame)))
    assert back["name"].tolist()[:5] == ["'=HYPERLINK(\"http://evil\")", "'+1", "'-2", "'@SUM(A1)", "Acme"]
    assert back["arr"].tolist()[0] == -5.0  # numbers stay numbers


def test_bare_urls_and_emails_in_data_do_not_become_links():
    out = safe.md("mail lee@example.com or visit https://evil.example and www.evil.example")
    assert "@" + safe.WORD_JOINER in out and ":" + safe.WORD_JOINER in out and "w" + safe.WORD_JOINER + "ww" in out
    assert out.replace(safe.WORD_JOINER, "").replace("\\", "") == "mail lee@example.com or visit https://evil.example and www.evil.example"
