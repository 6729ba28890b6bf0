"""What a person does in the portal, with no Streamlit in it: save an account update, run a job
in the background with its progress. The views call these; so could another UI or a test."""
from __future__ import annotations

import threading
from pathlib import Path
import traceback
from typing import Callable

from portal import access
from portal.access import Identity

NOT_SET = "(not set)"


def changed_traits(picked: dict[str, str], current: dict[str, str]) -> dict[str, str]:
    """The traits the form changes: set to a value other than the current one."""
    return {t: v for t, v in picked.items() if v and v != NOT_SET and v != current.get(t)}


def save_account_update(who: Identity, account_id: str, account_owner: str | None, traits: dict[str, str],
                        note: str | None, eng=None) -> int:
    """Store a person's traits and status note in the operational store, audited, as `who`.
    Returns how many rows were stored (values equal to the current ones are not stored again).
    AccessDenied or ValueError say what is wrong, and nothing is stored."""
    from features import appstore
    from features.writeback import validate
    if not access.may_edit(who, account_owner):
        raise access.AccessDenied(f"As {who.role} you cannot edit this account.")
    note = (note or "").strip() or None
    if not traits and not note:
        raise ValueError("nothing to save: set a trait or write a note")
    from features.traits import by_name
    validate(traits, note, who.name)
    declared = by_name()
    return appstore.save_update(eng or appstore.engine(), account_id, who.name, who.role,
                                {t: declared[t].canonical(v) for t, v in traits.items()}, note)


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


def train_job(db: str, who: Identity) -> BackgroundJob:
    """Retrain on everything the warehouse knows now (reading a consistent snapshot; the warehouse is
    not written); the new version becomes the challenger. Audited."""
    access.require(who, "train", "retrain the model")

    def work(say):
        from features import appstore
        from model.train import run
        out = run(db, progress=say)
        appstore.log_action(appstore.engine(), who.name, who.role, "retrain", f"version {out['version']}",
                            None, {"version": out["version"], "alias": out["alias"], "run_id": out["run_id"]})
        return out
    return BackgroundJob("train", work)


def promote_job(db: str, version: str, who: Identity) -> BackgroundJob:
    """Make `version` the champion, then re-score every snapshot with it: under the warehouse's job
    lock, on a copy swapped in when done, so pages keep reading meanwhile. Audited."""
    access.require(who, "promote", "promote a model")

    def work(say):
        from features import appstore
        from features.publish import publishing
        from model import tracking
        from model.score import run
        before = tracking.champion_version()
        tracking.promote(version)
        appstore.log_action(appstore.engine(), who.name, who.role, "promote", f"version {version}",
                            {"champion": before}, {"champion": version})
        say(f"version {version} is now the champion; re-scoring every account")
        with publishing(Path(db), "score", say=say) as work_db:
            return run(work_db, progress=say, all_dates=True)
    return BackgroundJob("promote", work)
