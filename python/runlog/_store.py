"""Where runs go: finding or creating the store folder, and the run id format."""

import os
import re
from typing import Optional

from . import _git
from ._journal import warn

STORE_DIR_NAME = ".runlog"
# docs/JOURNAL.md: 1-128 characters of A-Z a-z 0-9 _ . -, starting with a letter or digit.
RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\Z")


def is_valid_run_id(run_id: str) -> bool:
    return bool(RUN_ID.match(run_id))


def find_store(cwd: Optional[str] = None) -> str:
    """The store folder for a run started outside the editor, created if need be.

    ``RUNLOG_DIR`` if set; else the nearest ``.runlog/`` in ``cwd`` or one of its ancestors;
    else a new ``.runlog/`` at the top of the git work tree; else one in ``cwd``.
    """
    configured = os.environ.get("RUNLOG_DIR")
    if configured:
        return ensure_store(os.path.abspath(configured))
    here = os.path.abspath(cwd or os.getcwd())
    folder = here
    while True:
        candidate = os.path.join(folder, STORE_DIR_NAME)
        if os.path.isdir(candidate):
            return candidate
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    top = _git.toplevel(here)
    return ensure_store(os.path.join(top or here, STORE_DIR_NAME))


def ensure_store(path: str) -> str:
    """Creates the store folder if missing, with a ``.gitignore`` that keeps it out of git.

    Failing to create it is reported, not raised: the journals' writes will keep trying.
    """
    if os.path.isdir(path):
        return path
    try:
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, ".gitignore"), "w", encoding="utf-8") as handle:
            handle.write("*\n")
    except OSError as exc:
        warn("could not create the store folder %s: %s" % (path, exc.strerror or exc))
    return path
