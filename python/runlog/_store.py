"""Where runs go: finding or creating the store folder, its journal format, and the run id format."""

import json
import os
import re
from typing import Dict, Optional, Set

from . import _git
from ._journal import warn
from ._version import JOURNAL_FORMAT, __version__

STORE_DIR_NAME = ".runlog"
# docs/JOURNAL.md: 1-128 characters of A-Z a-z 0-9 _ . -, starting with a letter or digit.
RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\Z")


def is_valid_run_id(run_id: str) -> bool:
    return bool(RUN_ID.match(run_id))


def find_store(cwd: Optional[str] = None) -> str:
    """The store folder for a run started outside the editor, created if need be.

    ``RUNLOG_DIR`` if set; else the nearest ``.runlog/`` in ``cwd`` or one of its ancestors;
    else a new ``.runlog/`` at the top of the git work tree; else one in ``cwd``. A store of a
    newer journal format than this client's is said once (``check_format``).
    """
    store = _locate_store(cwd)
    check_format(store)
    return store


def _locate_store(cwd: Optional[str]) -> str:
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


# docs/JOURNAL.md: the editor records in <store>/format.json the journal format of the store.
FORMAT_FILE = "format.json"
_format_checked: Set[str] = set()
# The journal format each store's format.json records (None: no marker, or an unreadable one).
_recorded: Dict[str, Optional[int]] = {}


def recorded_format(store: str) -> Optional[int]:
    """The journal format ``<store>/format.json`` records, or None (no Runlog window has opened the
    store yet, or the marker cannot be read). Read once per store and process."""
    check_format(store)
    return _recorded.get(store)


def check_format(store: str) -> None:
    """Warns once per store if its journals are of a newer format than this client writes.

    The client still logs (in its own format, which a newer store still reads); what it may get
    wrong is reading what newer producers wrote (the registry, a joined run's head). A missing or
    unreadable ``format.json`` says nothing: stores before the marker are format 1.
    """
    if store in _format_checked:
        return
    _format_checked.add(store)
    try:
        with open(os.path.join(store, FORMAT_FILE), "rb") as handle:
            marker = json.loads(handle.read().decode("utf-8"))
    except (OSError, ValueError):
        return
    found = marker.get("journal_format") if isinstance(marker, dict) else None
    if not isinstance(found, int) or isinstance(found, bool):
        return
    _recorded[store] = found
    if found <= JOURNAL_FORMAT:
        return
    writer = marker.get("written_by")
    warn(
        "the store %s holds journal format %d%s, newer than this client's format %d (runlog %s): "
        "update the client (in VS Code: Runlog: Install Python Client…; or pip install the extension's "
        "python folder). It keeps logging, but may misread what newer producers wrote."
        % (store, found, " (%s)" % writer if isinstance(writer, str) and writer else "", JOURNAL_FORMAT, __version__)
    )


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
