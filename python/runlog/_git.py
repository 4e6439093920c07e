"""The state of the code a run ran: the fields of a ``git`` event (docs/JOURNAL.md).

Git is run as a subprocess with an argument list (never through a shell), with a timeout and
without prompts, locks or external diff tools. Any failure — git missing, not a repository, a
repository without commits, a timeout — yields ``None``: the caller then records no git event.
"""

import os
import re
import stat
import subprocess
from typing import List, Optional

GIT_TIMEOUT = 10.0
# Untracked files whose content is kept: text sources under this size...
MAX_UNTRACKED_FILE = 256 * 1024
# ...until their contents add up to this much; later ones keep only their path.
MAX_UNTRACKED_TOTAL = 8 * 1024 * 1024
# A tracked diff larger than this is left out (the run is still marked dirty): with JSON escaping the
# git line stays well under the store's 32 MB read piece.
MAX_PATCH = 16 * 1024 * 1024

SOURCE_EXTENSIONS = frozenset(
    (
        ".py", ".pyi", ".pyx", ".ipynb", ".yaml", ".yml", ".json", ".jsonc", ".toml", ".cfg",
        ".ini", ".conf", ".txt", ".md", ".rst", ".sh", ".bash", ".r", ".sql", ".c", ".h", ".cc",
        ".cpp", ".hpp", ".cu", ".js", ".ts", ".jl", ".lua", ".proto",
    )
)
# Deliberately absent: data (.csv, ...) and secrets (.env, keys): they are listed by path only.
SOURCE_NAMES = frozenset(
    ("MLproject", "Dockerfile", "Makefile", "Pipfile", "Snakefile", "Justfile", "Containerfile")
)

_CREDENTIALS = re.compile(r"^(https?://)[^/@]*@", re.IGNORECASE)


def _git(args: List[str], cwd: str) -> Optional[bytes]:
    """Runs ``git <args>`` in ``cwd``; returns its stdout, or None if it failed in any way."""
    env = dict(os.environ)
    env["GIT_OPTIONAL_LOCKS"] = "0"  # never take index.lock: the user may be running git too
    env["GIT_TERMINAL_PROMPT"] = "0"
    try:
        done = subprocess.run(
            ["git"] + args,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=GIT_TIMEOUT,
        )
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return done.stdout if done.returncode == 0 else None


def _line(output: Optional[bytes]) -> Optional[str]:
    if output is None:
        return None
    text = os.fsdecode(output.strip())
    return text or None


def toplevel(cwd: str) -> Optional[str]:
    """The top folder of the git work tree containing ``cwd``, or None."""
    top = _line(_git(["rev-parse", "--show-toplevel"], cwd))
    return os.path.normpath(top) if top else None


def strip_credentials(url: str) -> str:
    """Removes ``user:token@`` from an http(s) remote so a secret never lands in the journal."""
    return _CREDENTIALS.sub(r"\1", url)


def _is_source(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name in SOURCE_NAMES or os.path.splitext(name)[1].lower() in SOURCE_EXTENSIONS


def _read_text(path: str, budget: int) -> Optional[str]:
    """The file's text if it is a regular UTF-8 text file within the size limits, else None."""
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > min(MAX_UNTRACKED_FILE, budget):
            return None
        with open(path, "rb") as handle:
            data = handle.read(MAX_UNTRACKED_FILE + 1)
    except OSError:
        return None
    if len(data) > MAX_UNTRACKED_FILE or b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _untracked(top: str, skip: List[str]) -> List[dict]:
    output = _git(["ls-files", "--others", "--exclude-standard", "-z"], top)
    if not output:
        return []
    budget = MAX_UNTRACKED_TOTAL
    files = []
    for raw in output.split(b"\0"):
        if not raw:
            continue
        path = os.fsdecode(raw)
        if any(path == prefix or path.startswith(prefix + "/") for prefix in skip):
            continue
        entry = {"path": path}
        if _is_source(path) and budget > 0:
            content = _read_text(os.path.join(top, path), budget)
            if content is not None:
                entry["content"] = content
                budget -= len(content)
        files.append(entry)
    return files


def capture(cwd: str, skip_dirs: List[str]) -> Optional[dict]:
    """The ``git`` event fields for the repository containing ``cwd``, or None.

    ``skip_dirs`` are folders (the run store) whose untracked files are not recorded.
    """
    top = toplevel(cwd)
    if top is None:
        return None
    commit = _line(_git(["rev-parse", "--verify", "HEAD"], top))
    if commit is None:  # not a repository, or no commit yet
        return None
    patch_bytes = _git(
        [
            "diff", "--binary", "--no-color", "--no-ext-diff", "--no-textconv",
            "--src-prefix=a/", "--dst-prefix=b/", "HEAD",
        ],
        top,
    )
    if patch_bytes is None:
        return None
    fields = {"commit": commit}
    branch = _line(_git(["rev-parse", "--abbrev-ref", "HEAD"], top))
    if branch and branch != "HEAD":  # "HEAD" means detached
        fields["branch"] = branch
    remote = _line(_git(["config", "--get", "remote.origin.url"], top))
    if remote:
        fields["remote"] = strip_credentials(remote)
    fields["dirty"] = bool(patch_bytes)
    # Non-UTF-8 text in a diff becomes U+FFFD; binary files are base85 text thanks to --binary.
    fields["patch"] = patch_bytes.decode("utf-8", "replace") if len(patch_bytes) <= MAX_PATCH else ""
    skip = []
    for folder in skip_dirs:
        relative = os.path.relpath(os.path.realpath(folder), os.path.realpath(top))
        if relative != "." and not relative.startswith(".."):
            skip.append(relative.replace(os.sep, "/"))
    fields["untracked"] = _untracked(top, skip)
    return fields
