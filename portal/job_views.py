"""A background job on a page (retrain, promote, backtest, health fit): one of each name per server,
shared by every session; its progress shown while it runs, then one refresh of the page."""
from __future__ import annotations

from typing import Callable

import streamlit as st

from portal.actions import BackgroundJob


@st.cache_resource
def jobs() -> dict[str, BackgroundJob]:
    """This server's jobs by name: one of each at a time."""
    return {}


def start(name: str, job: BackgroundJob) -> None:
    """Start `job` under `name`, unless one of that name is still running (then say so)."""
    current = jobs().get(name)
    if current is not None and current.running:
        st.warning(f"A {name} job is already running; its progress is below.")
        return
    jobs()[name] = job.start()


@st.fragment(run_every=1.0)
def progress(name: str, on_done: Callable[[], None] | None = None) -> None:
    """The job's last lines until it ends; then `on_done` (clear what it changed) and one rerun of
    the page, once per job and session."""
    job = jobs().get(name)
    if job is None:
        return
    said = "running…" if job.running else ("done" if job.ok else "failed")
    with st.status(f"{job.name.capitalize()}: {said}", expanded=True,
                   state="running" if job.running else ("complete" if job.ok else "error")) as box:
        for line in job.lines[-12:]:
            box.write(line)
        if job.error:
            box.error(f"Failed: {job.error}")
    if not job.running and not st.session_state.get(f"seen_{name}_{id(job)}"):
        st.session_state[f"seen_{name}_{id(job)}"] = True
        if on_done is not None:
            on_done()
        st.rerun(scope="app")
