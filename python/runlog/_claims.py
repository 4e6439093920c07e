"""Write-once params between processes: claim files, the rule of ``src/store/paramClaims.ts``.

Before a ``param`` line is appended, (run, key) is claimed by creating
``runs/<id>/params/<sha256 of the key, hex>`` holding ``{"key": ..., "value": ...}``: written under
a temporary name, then hard-linked to the claim's name, which fails with EEXIST when the claim
exists. Creating it wins; finding it, the writer reads it: the same value is fine, another value is
refused. The endpoint, the editor's launcher and this client follow the same rule (docs/JOURNAL.md).
"""

import errno
import hashlib
import json
import os
import uuid
from typing import Optional

PARAMS_DIR = "params"


def claim_file(run_dir: str, key: str) -> str:
    # Lone surrogates hash as U+FFFD, as Node's UTF-8 encoder writes them.
    text = key.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return os.path.join(run_dir, PARAMS_DIR, hashlib.sha256(text.encode("utf-8")).hexdigest())


def claimed_value(run_dir: str, key: str) -> Optional[str]:
    """The value claimed for ``key``, or None when there is no (readable) claim."""
    try:
        with open(claim_file(run_dir, key), "rb") as handle:
            data = json.loads(handle.read().decode("utf-8", "replace"))
    except (OSError, ValueError):
        return None
    value = data.get("value") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def claim(run_dir: str, key: str, value: str) -> Optional[str]:
    """Claims ``key`` = ``value``; returns None when ``value`` stands, else the value that does.
    An I/O failure raises OSError (the caller decides what that means)."""
    path = claim_file(run_dir, key)
    existing = claimed_value(run_dir, key)
    if existing is not None:
        return None if existing == value else existing
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temp = os.path.join(os.path.dirname(path), ".claim-%d-%s" % (os.getpid(), uuid.uuid4().hex[:12]))
    body = json.dumps({"key": key, "value": value}, ensure_ascii=False, separators=(",", ":"))
    with open(temp, "xb") as handle:
        handle.write(body.encode("utf-8", "replace"))
    try:
        try:
            os.link(temp, path)
            return None
        except FileExistsError:
            pass
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.ENOSYS, getattr(errno, "EOPNOTSUPP", -1)):
                raise
            try:  # no hard links on this file system: exclusive creation still decides
                with open(path, "xb") as handle:
                    handle.write(body.encode("utf-8", "replace"))
                return None
            except FileExistsError:
                pass
    finally:
        try:
            os.unlink(temp)
        except OSError:
            pass
    winner = claimed_value(run_dir, key)
    return None if winner is None or winner == value else winner
