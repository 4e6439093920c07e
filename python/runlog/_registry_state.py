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
    # Journal format 3:
    "rename_model",
    "set_model_tag",
    "delete_model_tag",
    "set_version_tag",
    "delete_version_tag",
    "transition_stage",
)
STAGES = ("None", "Staging", "Production", "Archived")
# JavaScript reads numbers as doubles: integers past this are not "safe" there.
MAX_SAFE_INTEGER = 2 ** 53 - 1


class VersionState:
    __slots__ = ("version", "run_id", "source", "model_id", "created", "updated", "description", "tags", "stage",
                 "deleted")

    def __init__(self, version: int, run_id: Optional[str], source: Optional[str], model_id: Optional[str],
                 created: float, description: Optional[str], tags: Dict[str, str]) -> None:
        self.version = version
        self.run_id = run_id
        # The model's folder in the run's artifacts; None for a version of a logged model (model_id).
        self.source = source
        self.model_id = model_id
        self.created = created
        self.updated = created
        self.description = description
        self.tags = tags
        self.stage = "None"
        self.deleted = False


class ModelState:
    __slots__ = ("name", "created", "updated", "description", "tags", "versions", "aliases")

    def __init__(self, name: str, created: float, description: Optional[str] = None) -> None:
        self.name = name
        self.created = created
        self.updated = created
        self.description = description
        self.tags: Dict[str, str] = {}
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
    for name in ("alias", "run_id", "source", "description", "model_id", "new_name", "key", "value"):
        if name in event and not isinstance(event[name], str):
            return '"%s" must be a string' % name
    if "version" in event:
        version = _safe_integer(event["version"])
        if version is None or version <= 0:
            return '"version" must be a positive integer'
    tags = event.get("tags")
    if "tags" in event and not (isinstance(tags, dict) and all(isinstance(v, str) for v in tags.values())):
        return '"tags" must be an object of strings'
    if "archive_existing" in event and not isinstance(event["archive_existing"], bool):
        return '"archive_existing" must be true or false'
    action = event["action"]
    if action == "rename_model" and not _non_empty(event, "new_name"):
        return '"new_name" must be a non-empty string'
    if action in ("set_model_tag", "set_version_tag", "delete_model_tag", "delete_version_tag"):
        if not _non_empty(event, "key"):
            return '"key" must be a non-empty string'
        if action.startswith("set_") and not isinstance(event.get("value"), str):
            return '"value" must be a string'
    if action == "transition_stage" and event.get("stage") not in STAGES:
        return '"stage" must be one of %s' % ", ".join(STAGES)
    return None


def _non_empty(event: Dict[str, Any], name: str) -> bool:
    return isinstance(event.get(name), str) and event[name] != ""


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
    if action == "rename_model":
        new_name = event["new_name"]
        if model is None:
            return 'registered model "%s" does not exist' % name
        if new_name in state.models:
            return 'registered model "%s" already exists' % new_name
        del state.models[name]
        model.name = new_name
        model.updated = ts
        state.models[new_name] = model
        return None
    if action == "create_version":
        if not event.get("model_id") and (not event.get("run_id") or not event.get("source")):
            return 'create_version needs "run_id" and "source", or "model_id"'
        next_version = model.next_version() if model is not None else 1
        version = next_version if version_number is None else version_number
        if version != next_version:
            return 'version %d of "%s" cannot be created: the next version is %d' % (version, name, next_version)
        if model is None:
            # Registering into a model that does not exist yet creates it, as MLflow's register_model does.
            model = state.models[name] = ModelState(name, ts)
        model.versions[version] = VersionState(
            version, event.get("run_id"), event.get("source"), event.get("model_id"), ts, event.get("description"),
            dict(event.get("tags") or {}))
        touch()
        return None
    if action in ("set_model_tag", "delete_model_tag"):
        if model is None:
            return 'registered model "%s" does not exist' % name
        if action == "set_model_tag":
            model.tags[event["key"]] = event["value"]
        else:
            model.tags.pop(event["key"], None)
        touch()
        return None
    live = model.live(version_number) if model is not None else None
    if action in ("update_version", "delete_version", "set_version_tag", "delete_version_tag", "transition_stage"):
        if live is None or model is None:
            return 'version %s of "%s" does not exist' % (_js_string(version_number), name)
        if action == "update_version":
            live.description = event.get("description")
            live.updated = ts
        elif action == "delete_version":
            live.deleted = True
            live.tags = {}
            model.aliases = {a: v for a, v in model.aliases.items() if v != live.version}
        elif action == "set_version_tag":
            live.tags[event["key"]] = event["value"]
            live.updated = ts
        elif action == "delete_version_tag":
            live.tags.pop(event["key"], None)
            live.updated = ts
        else:
            stage = event["stage"]
            if event.get("archive_existing") and stage in ("Staging", "Production"):
                for other in model.versions.values():
                    if not other.deleted and other.stage == stage and other.version != live.version:
                        other.stage = "Archived"
                        other.updated = ts
            live.stage = stage
            live.updated = ts
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
