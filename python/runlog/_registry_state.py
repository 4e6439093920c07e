"""The model registry's state, derived from its journal exactly as the store derives it.

A mirror of ``src/store/events.ts`` (the ``registry`` event's validation) and of
``ingestRegistryChunk`` in ``src/store/ingest.ts`` (its rules): the client numbers a new version
from this state, so the two must agree line for line. ``test/unit/store/registryMirror.test.ts``
checks that they do, on the same journals.
"""

import json
import math
from typing import Any, Dict, List, Optional, Tuple

ACTIONS = (
    "create_model",
    "update_model",
    "delete_model",
    "create_version",
    "update_version",
    "delete_version",
    "set_alias",
    "delete_alias",
)
# JavaScript reads numbers as doubles: integers past this are not "safe" there.
MAX_SAFE_INTEGER = 2 ** 53 - 1


class VersionState:
    __slots__ = ("version", "run_id", "source", "created", "description", "tags", "deleted")

    def __init__(self, version: int, run_id: str, source: str, created: float, description: Optional[str],
                 tags: Dict[str, str]) -> None:
        self.version = version
        self.run_id = run_id
        self.source = source
        self.created = created
        self.description = description
        self.tags = tags
        self.deleted = False


class ModelState:
    __slots__ = ("name", "created", "updated", "description", "versions", "aliases")

    def __init__(self, name: str, created: float, description: Optional[str] = None) -> None:
        self.name = name
        self.created = created
        self.updated = created
        self.description = description
        self.versions: Dict[int, VersionState] = {}  # deleted ones too: their numbers are never reused
        self.aliases: Dict[str, int] = {}

    def live(self, version: Any) -> Optional[VersionState]:
        found = self.versions.get(version) if isinstance(version, int) else None
        return found if found is not None and not found.deleted else None

    def next_version(self) -> int:
        return max(self.versions, default=0) + 1

    def latest(self) -> Optional[VersionState]:
        live = [v for v in self.versions.values() if not v.deleted]
        return max(live, key=lambda v: v.version) if live else None


class RegistryState:
    """Registered models by name, and the journal lines that were refused, with the reason."""

    def __init__(self) -> None:
        self.models: Dict[str, ModelState] = {}
        self.rejected: List[Tuple[int, str]] = []

    def apply(self, event: Dict[str, Any]) -> Optional[str]:
        """Applies one valid registry event; returns why it was refused, if it was."""
        return _apply(self, event)


def _reject_constant(name: str) -> Any:
    raise ValueError("%s is not JSON" % name)


def _finite_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an integer too large for a double is Infinity in JavaScript
        return False


def _safe_integer(value: Any) -> Optional[int]:
    """The integer JavaScript's Number.isSafeInteger accepts (2.0 is one), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        return value
    return None


def event_problem(event: Any) -> Optional[str]:
    """Why a parsed line is not a valid registry event (as events.ts decides), or None."""
    if not isinstance(event, dict):
        return "not a JSON object"
    if not _finite_number(event.get("ts")):
        return '"ts" must be a number (milliseconds since the epoch)'
    if event.get("t") != "registry":
        return "a %s event does not belong in the registry journal" % event.get("t")
    if event.get("action") not in ACTIONS:
        return '"action" must be one of %s' % ", ".join(ACTIONS)
    if not isinstance(event.get("model"), str) or event["model"] == "":
        return '"model" must be a non-empty string'
    for name in ("alias", "run_id", "source", "description"):
        if name in event and not isinstance(event[name], str):
            return '"%s" must be a string' % name
    if "version" in event:
        version = _safe_integer(event["version"])
        if version is None or version <= 0:
            return '"version" must be a positive integer'
    tags = event.get("tags")
    if "tags" in event and not (isinstance(tags, dict) and all(isinstance(v, str) for v in tags.values())):
        return '"tags" must be an object of strings'
    return None


def _apply(state: RegistryState, event: Dict[str, Any]) -> Optional[str]:
    name = event["model"]
    ts = event["ts"]
    action = event["action"]
    model = state.models.get(name)
    version_number = _safe_integer(event["version"]) if "version" in event else None
    alias = event.get("alias")

    def touch() -> None:
        if model is not None:
            model.updated = ts

    if action == "create_model":
        if model is not None:
            return 'registered model "%s" already exists' % name
        state.models[name] = ModelState(name, ts, event.get("description"))
        return None
    if action == "update_model":
        if model is None:
            return 'registered model "%s" does not exist' % name
        model.description = event.get("description")
        model.updated = ts
        return None
    if action == "delete_model":
        if model is None:
            return 'registered model "%s" does not exist' % name
        del state.models[name]
        return None
    if action == "create_version":
        if not event.get("run_id") or not event.get("source"):
            return 'create_version needs "run_id" and "source"'
        next_version = model.next_version() if model is not None else 1
        version = next_version if version_number is None else version_number
        if version != next_version:
            return 'version %d of "%s" cannot be created: the next version is %d' % (version, name, next_version)
        if model is None:
            # Registering into a model that does not exist yet creates it, as MLflow's register_model does.
            model = state.models[name] = ModelState(name, ts)
        model.versions[version] = VersionState(
            version, event["run_id"], event["source"], ts, event.get("description"), dict(event.get("tags") or {})
        )
        touch()
        return None
    live = model.live(version_number) if model is not None else None
    if action in ("update_version", "delete_version"):
        if live is None or model is None:
            return 'version %s of "%s" does not exist' % (_js_string(version_number), name)
        if action == "update_version":
            live.description = event.get("description")
        else:
            live.deleted = True
            model.aliases = {a: v for a, v in model.aliases.items() if v != live.version}
        touch()
        return None
    if action == "set_alias":
        if not alias:
            return 'set_alias needs "alias"'
        if live is None or model is None:
            return 'alias "%s" cannot point at version %s of "%s": it does not exist' % (
                alias, _js_string(version_number), name)
        # An alias points at one version: setting it again moves it.
        model.aliases[alias] = live.version
        touch()
        return None
    # delete_alias
    if not alias:
        return 'delete_alias needs "alias"'
    if model is None or alias not in model.aliases:
        return '"%s" has no alias "%s"' % (name, alias)
    del model.aliases[alias]
    touch()
    return None


def _js_string(value: Optional[int]) -> str:
    return "undefined" if value is None else str(value)


def parse_line(raw: bytes) -> Tuple[Optional[Dict[str, Any]], Optional[str]]:
    """One complete journal line as (event, None), or (None, why it is refused)."""
    text = raw.decode("utf-8", "replace")
    try:
        event = json.loads(text, parse_constant=_reject_constant)
    except ValueError:
        return None, "not valid JSON"
    problem = event_problem(event)
    return (None, problem) if problem else (event, None)


def derive(data: bytes) -> RegistryState:
    """The registry a journal's bytes describe. A last line without its newline is a write still
    in progress (or cut short by a crash) and is not read, as the store does not read it."""
    state = RegistryState()
    for number, raw in enumerate(data.split(b"\n")[:-1], 1):
        if not raw.decode("utf-8", "replace").strip():
            continue
        event, problem = parse_line(raw)
        if event is not None:
            problem = state.apply(event)
        if problem:
            state.rejected.append((number, problem))
    return state
