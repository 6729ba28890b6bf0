"""What a person does in the portal, with no Streamlit in it: save an account update, run a job
in the background with its progress. The views call these; so could another UI or a test."""
from __future__ import annotations

import threading
import traceback
from typing import Callable

UNCHANGED = "(unchanged)"


def changed_traits(picked: dict[str, str]) -> dict[str, str]:
    """The traits a person actually set in the form (not left at '(unchanged)')."""
    return {trait: value for trait, value in picked.items() if value and value != UNCHANGED}


def save_account_update(db: str, account_id: str, edited_by: str, traits: dict[str, str],
                        note: str | None) -> int:
    """Store traits and a status note (validated, kept as history), then refresh the health score.
    Returns how many rows were stored; ValueError says what to fix and stores nothing."""
    from features import health
    from features.warehouse import connect
    from features.writeback import save
    note = (note or "").strip() or None
    if not traits and not note:
        raise ValueError("nothing to save: set a trait or write a note")
    with connect(db) as con:
        stored = save(con, account_id, edited_by, traits, note)
        health.run(con)
    return stored


class BackgroundJob:
    """Runs `work(progress)` on its own thread, keeping the progress lines, the result or the error,
    so a page can show progress on every rerun while the work goes on off the page's thread."""

    def __init__(self, name: str, work: Callable[[Callable[..., None]], object]):
        self.name, self._work = name, work
        self.lines: list[str] = []
        self.result, self.error = None, None
        self._thread = threading.Thread(target=self._run, name=f"radar-{name}", daemon=True)

    def start(self) -> "BackgroundJob":
        self._thread.start()
        return self

    def say(self, *parts, **_) -> None:
        line = " ".join(str(p) for p in parts).rstrip()
        if line:
            self.lines.append(line)

    def _run(self) -> None:
        try:
            self.result = self._work(self.say)
        except Exception as e:  # shown on the page as one line; the trace goes to the server log
            self.error = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
            traceback.print_exc()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def ok(self) -> bool:
        return not self.running and self.error is None

    def wait(self, timeout: float | None = None) -> "BackgroundJob":
        self._thread.join(timeout)
        return self


def train_job(db: str) -> BackgroundJob:
    """Retrain on everything the warehouse knows now; the new version becomes the challenger."""
    def work(say):
        from model.train import run
        return run(db, progress=say)
    return BackgroundJob("train", work)


def promote_job(db: str, version: str) -> BackgroundJob:
    """Make `version` the champion, then re-score every snapshot with it."""
    def work(say):
        from model import tracking
        from model.score import run
        tracking.promote(version)
        say(f"version {version} is now the champion; re-scoring every account")
        return run(db, progress=say, all_dates=True)
    return BackgroundJob("promote", work)
