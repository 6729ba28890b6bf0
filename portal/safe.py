"""Text from the data is shown as text, never run as Markdown, HTML or a spreadsheet formula.

Pure functions: the views pass every data-borne string through `md` before it reaches
st.markdown/st.title/st.info, build links with `account_link`, and export with `csv_bytes`.
"""
from __future__ import annotations

import re
import string
from urllib.parse import quote

import pandas as pd

# every ASCII punctuation character may be backslash-escaped in CommonMark; Streamlit's own
# directives (:red[...], :material/x:, $latex$) are punctuation too
_PUNCT = re.compile("([" + re.escape(string.punctuation) + "])")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # OWASP: cells a spreadsheet would evaluate


WORD_JOINER = "\u2060"  # invisible; keeps the renderer from turning e-mails and URLs into links
_AUTOLINK = re.compile(r"(@|://|www\.)", re.IGNORECASE)


def md(value) -> str:
    """`value` as literal text inside Markdown: no links (not even bare URLs or e-mails), images,
    emphasis, HTML or directives."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    text = " ".join(str(value).split())  # one line: no headings, lists or tables from newlines
    text = _AUTOLINK.sub(lambda m: m.group(0)[0] + WORD_JOINER + m.group(0)[1:], text)
    return _PUNCT.sub(r"\\\1", text)


# in a Markdown file read outside the portal (an e-mail, a wiki, a pasted QBR), only these start
# inline syntax or a table cell; escaping more ("42\\%", "\\(2027\\-01\\-31\\)") shows the backslashes
_DOC_PUNCT = re.compile(r"([\\`*_\[\]<>~|&#])")


def md_doc(value) -> str:
    """`value` as literal text inside a Markdown document that leaves the portal: no links,
    images, emphasis, HTML or table cells from the data, and ordinary punctuation left as it is
    (Streamlit's directives mean nothing there). On screen, use `md`."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    text = " ".join(str(value).split())
    text = _AUTOLINK.sub(lambda m: m.group(0)[0] + WORD_JOINER + m.group(0)[1:], text)
    return _DOC_PUNCT.sub(r"\\\1", text)


def account_link(account_id: str) -> str:
    """The portal's deep link to an account, with the id URL-encoded. The root path with the
    parameter: a new session that asks for a page path directly is told "page not found" first."""
    return "/?account=" + quote(str(account_id), safe="")


def neutralise(cell):
    """A text cell a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    if isinstance(cell, str) and cell.startswith(FORMULA_START):
        return "'" + cell
    return cell


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV for download: text cells neutralised, numbers left as numbers."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out.to_csv(index=False).encode()
