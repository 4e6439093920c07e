"""``runlog.search_runs``: runs of a store, found by the editor's filter language, in Python.

Why a Python reader rather than asking the editor's code: a training machine may have no Node, and
the store's index (``runlog.db``) is only as fresh as the last editor that saved it. So this reads
the journals themselves (docs/JOURNAL.md), applies the store's ingest rules to the fields a search
uses (``src/store/ingest.ts``: params write-once, tags overwrite, ``runlog.name`` renames, a metric's
value is the one at its highest step with later lines winning ties, NaN never a min or max, a late
``status`` cannot revive an ended run), and evaluates the filter with the SQL semantics of
``src/store/filterCompile.ts`` and the order of ``runStore.ts``' sorts. The contract test
``test/unit/cli/searchMirror.test.ts`` runs the same filters and order_by clauses through this and
the store on one store and compares the runs found and their order.
"""

import json
import math
import os
import re
import time
from functools import cmp_to_key
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from . import _registry, _store
from ._errors import raises_store_error
from ._filter import Comparison, FilterError, parse_filter
from ._journal import decode_points
from ._run_record import RunRecord

RUN_NAME_TAG = "runlog.name"
RUN_EXPERIMENT_TAG = "runlog.experiment"
RUN_PINNED_TAG = "runlog.pinned"
END_STATUSES = ("FINISHED", "FAILED", "KILLED")
RUN_STATUSES = ("RUNNING", "QUEUED", "FINISHED", "FAILED", "KILLED", "INTERRUPTED")
LIFECYCLE_ACTIONS = ("delete", "restore", "pin", "unpin", "remove_tag")
# Event types the store knows (events.ts); a well-formed line of another type is a newer producer's, skipped.
EVENT_TYPES = ("run_start", "run_end", "status", "param", "metric", "tag", "artifact", "input", "git", "model",
               "environment", "registry", "lifecycle")
# What the store reads at once (runStore.ts READ_PIECE): a longer line is skipped there.
MAX_LINE = 32 * 1024 * 1024
VIEW_TYPES = {"ACTIVE_ONLY": "active", "DELETED_ONLY": "deleted", "ALL": "all"}


class _Series:
    __slots__ = ("count", "last", "last_step", "last_time", "min", "max")

    def __init__(self) -> None:
        self.count = 0
        self.last = math.nan
        self.last_step = -math.inf
        self.last_time = 0.0
        self.min = math.nan
        self.max = math.nan

    def add(self, step: float, ts: float, value: float) -> None:
        self.count += 1
        if step >= self.last_step:
            self.last_step, self.last, self.last_time = step, value, ts
        if value == value:
            if not value >= self.min:
                self.min = value
            if not value <= self.max:
                self.max = value


class _Run:
    """A run as the store's tables hold it, for the fields a search reads."""

    def __init__(self, run_id: str) -> None:
        self.id = run_id
        self.name = run_id
        self.experiment = "Default"
        self.status = "RUNNING"
        self.start_time: Optional[float] = None
        self.end_time: Optional[float] = None
        self.command: Optional[str] = None
        self.entry_point: Optional[str] = None
        self.source: Optional[str] = None
        self.user: Optional[str] = None
        self.parent_run_id: Optional[str] = None
        self.exit_code: Optional[int] = None
        self.error: Optional[str] = None
        self.deleted = False
        self.params: Dict[str, str] = {}
        self.tags: Dict[str, str] = {}
        self.metrics: Dict[str, _Series] = {}
        self.inputs: Dict[Tuple[str, str], str] = {}
        self.git: Optional[Dict[str, Any]] = None
        self.first_metric_time: Optional[float] = None


# ---------------------------------------------------------------------------------------------
# Reading journals (events.ts' validation, for the events a search uses).


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    return _is_number(value) and math.isfinite(value) and float(value).is_integer()


def _is_safe_integer(value: Any) -> bool:
    return _is_integer(value) and abs(value) <= 2 ** 53 - 1


def _strings(fields: Dict[str, Any], names: Iterable[str], required: bool) -> bool:
    for name in names:
        value = fields.get(name)
        if required and (not isinstance(value, str) or value == ""):
            return False
        if not required and name in fields and not isinstance(value, str):
            return False
    return True


def _wire_number(value: Any) -> Optional[float]:
    if _is_number(value):
        return float(value)
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(value) if isinstance(value, str) \
        else None


def _valid(event: Dict[str, Any]) -> bool:
    """Whether the store would accept this event (events.ts parseFields) — for the types applied here."""
    t = event.get("t")
    if t == "run_start":
        pid = event.get("pid")
        return (_strings(event, ("run_id", "name", "experiment"), True)
                and _strings(event, ("command", "cwd", "entry_point", "source", "user", "parent_run_id", "host"),
                             False)
                and ("pid" not in event or (_is_safe_integer(pid) and pid > 0)))
    if t == "run_end":
        return (event.get("status") in END_STATUSES
                and ("exit_code" not in event or _is_integer(event.get("exit_code")))
                and _strings(event, ("error",), False))
    if t == "status":
        pid = event.get("pid")
        return (event.get("status") in RUN_STATUSES and _strings(event, ("host",), False)
                and ("pid" not in event or (_is_safe_integer(pid) and pid > 0)))
    if t in ("param", "tag"):
        return _strings(event, ("key",), True) and isinstance(event.get("value"), str)
    if t == "metric":
        return (_strings(event, ("key",), True) and _wire_number(event.get("value")) is not None
                and _is_integer(event.get("step")))
    if t == "input":
        shape = event.get("shape")
        columns = event.get("columns")
        return (_strings(event, ("name", "path", "digest"), True)
                and ("shape" not in event or (isinstance(shape, list) and all(
                    _is_safe_integer(n) and n >= 0 for n in shape)))
                and ("columns" not in event or (isinstance(columns, list) and all(
                    isinstance(c, str) for c in columns))))
    if t == "lifecycle":
        action = event.get("action")
        if action not in LIFECYCLE_ACTIONS:
            return False
        return _strings(event, ("key",), action == "remove_tag")
    if t == "git":
        untracked = event.get("untracked")
        return (_strings(event, ("commit",), True) and _strings(event, ("branch", "remote"), False)
                and isinstance(event.get("dirty"), bool) and isinstance(event.get("patch"), str)
                and isinstance(untracked, list)
                and all(isinstance(u, dict) and isinstance(u.get("path"), str)
                        and ("content" not in u or isinstance(u.get("content"), str)) for u in untracked))
    return True


def _reject_constant(name: str) -> Any:
    raise ValueError("not JSON: %s" % name)  # JSON.parse has no NaN or Infinity literals


def _apply(run: _Run, event: Dict[str, Any]) -> None:
    t = event["t"]
    ts = float(event["ts"])
    if t == "run_start":
        run.name = event["name"]
        run.experiment = event["experiment"]
        run.start_time = ts
        run.command = event.get("command")
        run.entry_point = event.get("entry_point")
        run.source = event.get("source")
        run.user = event.get("user")
        run.parent_run_id = event.get("parent_run_id")
    elif t == "run_end":
        run.status = event["status"]
        run.end_time = ts
        run.exit_code = event.get("exit_code")
        run.error = event.get("error")
    elif t == "status":
        if run.status not in END_STATUSES:
            run.status = event["status"]
    elif t == "param":
        run.params.setdefault(event["key"], event["value"])
    elif t == "tag":
        run.tags[event["key"]] = event["value"]
        if event["key"] == RUN_NAME_TAG and event["value"]:
            run.name = event["value"]
        if event["key"] == RUN_EXPERIMENT_TAG and event["value"]:
            run.experiment = event["value"]
    elif t == "input":
        run.inputs[(event["name"], event["path"])] = event["digest"]
    elif t == "lifecycle":
        action = event["action"]
        if action in ("delete", "restore"):
            run.deleted = action == "delete"
        elif action == "pin":
            run.tags[RUN_PINNED_TAG] = "true"
        elif action == "unpin":
            run.tags.pop(RUN_PINNED_TAG, None)
        else:
            run.tags.pop(event.get("key", ""), None)
    elif t == "git":
        run.git = {"commit": event["commit"], "branch": event.get("branch"), "dirty": bool(event["dirty"])}


def _add_points(run: _Run, event: Dict[str, Any], folder: str) -> None:
    """The points of a batched ``metrics`` line (journal format 4, or 5 naming the points file in
    the run's ``folder``), as the store reads them."""
    points = decode_points(event, folder)
    if points is None:
        return
    key, steps, times, values = points
    series = run.metrics.get(key)
    if series is None:
        series = run.metrics[key] = _Series()
        if run.first_metric_time is None or times[0] < run.first_metric_time:
            run.first_metric_time = float(times[0])
    for step, ts, value in zip(steps, times, values):
        series.add(float(step), float(ts), value)


def read_run(path: str, run_id: str) -> Optional[_Run]:
    """A run from its journal, as the store would hold it; None before its first complete line."""
    with open(path, "rb") as handle:
        data = handle.read()
    end = data.rfind(b"\n")
    if end == -1:
        return None
    run = _Run(run_id)
    first_event_ts: Optional[float] = None
    for raw in data[:end].split(b"\n"):
        if len(raw) + 1 > MAX_LINE:
            continue
        line = raw.decode("utf-8", "replace")
        if not line.strip():
            continue
        try:
            event = json.loads(line, parse_constant=_reject_constant)
        except ValueError:
            continue
        if isinstance(event, dict) and event.get("t") == "metrics":
            _add_points(run, event, os.path.dirname(path))
            continue
        if not isinstance(event, dict) or not _is_number(event.get("ts")) or not math.isfinite(event["ts"]):
            continue
        t = event.get("t")
        if t not in EVENT_TYPES or not _valid(event):
            continue
        if t == "metric":
            value = _wire_number(event["value"])
            series = run.metrics.get(event["key"])
            if series is None:
                series = run.metrics[event["key"]] = _Series()
                # The store creates a run at its first chunk's first event, else its first metric point.
                if run.first_metric_time is None or event["ts"] < run.first_metric_time:
                    run.first_metric_time = float(event["ts"])
            series.add(float(event["step"]), float(event["ts"]), value if value is not None else math.nan)
            continue
        if first_event_ts is None:
            first_event_ts = float(event["ts"])
        _apply(run, event)
    if run.start_time is None:
        # The store creates a run at its first complete line, from its first event, else its first
        # metric point, else the time it read it.
        fallback = first_event_ts if first_event_ts is not None else run.first_metric_time
        run.start_time = fallback if fallback is not None else time.time() * 1000
    return run


def read_runs(store: str) -> List[_Run]:
    """Every run of the store whose folder and journal are real (no symbolic links, as the store)."""
    runs_dir = os.path.join(store, "runs")
    try:
        names = os.listdir(runs_dir)
    except FileNotFoundError:
        return []
    runs = []
    for name in names:
        if not _store.is_valid_run_id(name):
            continue
        folder = os.path.join(runs_dir, name)
        journal = os.path.join(folder, "events.jsonl")
        if os.path.islink(folder) or os.path.islink(journal) or not os.path.isfile(journal):
            continue
        run = read_run(journal, name)
        if run is not None:
            runs.append(run)
    return runs


# ---------------------------------------------------------------------------------------------
# Evaluating a filter (filterCompile.ts, as SQLite computes it).

_JSON_NUMBER = re.compile(r"[ \t\n\r]*-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?[ \t\n\r]*\Z")
_SQLITE_REAL = re.compile(r"[ \t\n\v\f\r]*([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


def _sqlite_real(text: str) -> float:
    """CAST(text AS REAL): the longest numeric prefix after leading spaces, else 0.0."""
    match = _SQLITE_REAL.match(text)
    if not match:
        return 0.0
    number = match.group(1)
    # "1e" or "1e+" is "1" to SQLite: drop an exponent without digits.
    number = re.sub(r"[eE][+-]?\Z", "", number)
    try:
        return float(number)
    except ValueError:
        return 0.0


def _ascii_lower(text: str) -> str:
    return text.translate(_ASCII_LOWER)


def _like_regex(pattern: str, fold: bool) -> "re.Pattern[str]":
    """A LIKE pattern: % any run, _ one character; \\%, \\_ and \\\\ are literal (filterCompile.ts likeParts)."""
    parts = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        following = pattern[i + 1] if i + 1 < len(pattern) else None
        if char == "\\" and following is not None and following in "%_\\":
            parts.append(re.escape(_ascii_lower(following) if fold else following))
            i += 2
            continue
        if char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(_ascii_lower(char) if fold else char))
        i += 1
    return re.compile("".join(parts), re.DOTALL)


def _predicate(operator: str, values: Sequence[Any]) -> Callable[[Any], bool]:
    """`column <operator> <values>` on a non-NULL value (SQL NULL never satisfies a comparison)."""
    first = values[0] if values else None
    if isinstance(first, float) and first != first:
        # NaN only on metrics with = and !=: a NaN value is stored as NULL.
        return (lambda v: v is None) if operator == "=" else (lambda v: v is not None)
    if operator in ("IN", "NOT IN"):
        members = list(values)
        inside = operator == "IN"
        return lambda v: v is not None and ((v in members) == inside)
    if operator in ("LIKE", "NOT LIKE"):
        regex = _like_regex(str(first), fold=False)
        wanted = operator == "LIKE"
        return lambda v: v is not None and (regex.fullmatch(v) is not None) == wanted
    if operator in ("ILIKE", "NOT ILIKE"):
        regex = _like_regex(str(first), fold=True)
        wanted = operator == "ILIKE"
        return lambda v: v is not None and (regex.fullmatch(_ascii_lower(v)) is not None) == wanted
    compare = {
        "=": lambda v: v == first,
        "!=": lambda v: v != first,
        "<": lambda v: v < first,
        "<=": lambda v: v <= first,
        ">": lambda v: v > first,
        ">=": lambda v: v >= first,
    }[operator]
    return lambda v: v is not None and compare(v)


def _scalars(node: Comparison) -> List[Any]:
    kind, value = node.value
    if kind in ("string", "number"):
        return [value]
    return [] if kind == "none" else list(value)


class _Evaluator:
    def __init__(self, now: float) -> None:
        self.now = now

    def matches(self, node: Any, run: _Run) -> bool:
        if isinstance(node, Comparison):
            return self.comparison(node, run)
        if node.kind == "not":
            return not self.matches(node.operands[0], run)
        if node.kind == "and":
            return all(self.matches(operand, run) for operand in node.operands)
        return any(self.matches(operand, run) for operand in node.operands)

    def comparison(self, node: Comparison, run: _Run) -> bool:
        field, operator = node.field, node.operator
        null_test = operator in ("IS NULL", "IS NOT NULL")
        values = _scalars(node)
        if field.entity in ("metric", "param", "tag", "input"):
            rows = self.rows(field.entity, field.key, run)
            if null_test:
                return (len(rows) == 0) == (operator == "IS NULL")
            if field.entity == "param" and isinstance(values[0], float):
                # Only params that are JSON numbers compare numerically ("auto" is not 0).
                test = _predicate(operator, values)
                return any(_JSON_NUMBER.match(v) is not None and test(_sqlite_real(v)) for v in rows)
            test = _predicate(operator, values)
            return any(test(v) for v in rows)
        value, nullable = self.attribute(field.key, run)
        if null_test:
            return (value is None) == (operator == "IS NULL")
        if nullable and value is None:
            return False
        return _predicate(operator, values)(value)

    @staticmethod
    def rows(entity: str, key: str, run: _Run) -> List[Any]:
        if entity == "metric":
            series = run.metrics.get(key)
            return [] if series is None else [None if series.last != series.last else series.last]
        if entity == "param":
            return [run.params[key]] if key in run.params else []
        if entity == "tag":
            return [run.tags[key]] if key in run.tags else []
        index = {"name": 0, "path": 1, "digest": 2}[key]
        return [(name, path, digest)[index] for (name, path), digest in run.inputs.items()]

    def attribute(self, name: str, run: _Run) -> Tuple[Any, bool]:
        if name == "experiment_id":
            raise FilterError("attributes.experiment_id is the editor's own numbering of experiments, which Python "
                              "does not know: filter by attributes.experiment (its name) instead", 0, 0)
        if name == "duration":
            end = run.end_time if run.end_time is not None else self.now
            return end - (run.start_time or 0.0), False
        return {
            "run_id": (run.id, False),
            "run_name": (run.name, False),
            "status": (run.status, False),
            "start_time": (run.start_time, False),
            "end_time": (run.end_time, True),
            "user": (run.user, True),
            "experiment": (run.experiment, False),
            "command": (run.command, True),
            "entry_point": (run.entry_point, True),
            "source": (run.source, True),
            "exit_code": (run.exit_code, True),
            "parent_run_id": (run.parent_run_id, True),
        }[name]


# ---------------------------------------------------------------------------------------------
# order_by: MLflow's grammar (runHandlers.ts parseOrderBy), the store's order (runStore.ts sortClause).

_ORDER_BY = re.compile(r"^\s*(?:(metrics?|params?|parameters?|tags?|attributes?|attr|run)\.)?"
                       r"(`[^`]+`|\"[^\"]+\"|[^\s]+)\s*(asc|desc)?\s*$", re.IGNORECASE)


def parse_order_by(clause: str) -> Tuple[str, bool]:
    """(sort key, descending) of ``metrics.rmse DESC``, ``params.`a b```, ``start_time``…"""
    match = _ORDER_BY.match(clause)
    if not match:
        raise ValueError("Invalid order_by clause '%s'." % clause)
    prefix = (match.group(1) or "attributes").lower()
    raw = match.group(2)
    key = raw[1:-1] if raw[:1] in ("`", '"') else raw
    descending = (match.group(3) or "asc").lower() == "desc"
    if prefix.startswith("metric"):
        return "metrics." + key, descending
    if prefix.startswith("param"):
        return "params." + key, descending
    if prefix.startswith("tag"):
        return "tags." + key, descending
    attribute = {"start_time": "start_time", "created": "start_time", "run_name": "name", "name": "name",
                 "status": "status", "end_time": "end_time"}.get(key.lower())
    if attribute is None:
        raise ValueError("Invalid order_by clause '%s': runs cannot be ordered by '%s' here." % (clause, key))
    return attribute, descending


def _cmp(a: Any, b: Any) -> int:
    return (a > b) - (a < b)


def _sort_parts(key: str, run: _Run, now: float) -> List[Tuple[bool, Any]]:
    """(is NULL, value) pairs in the order SQL compares them; NULLs last in either direction."""
    if key.startswith("metrics."):
        series = run.metrics.get(key[len("metrics."):])
        value = None if series is None or series.last != series.last else series.last
        return [(value is None, value)]
    if key.startswith("params."):
        value = run.params.get(key[len("params."):])
        return [(value is None, None if value is None else _sqlite_real(value)), (value is None, value)]
    if key.startswith("tags."):
        value = run.tags.get(key[len("tags."):])
        return [(value is None, value)]
    if key == "name":
        return [(False, _ascii_lower(run.name))]
    if key == "status":
        return [(False, run.status)]
    if key == "end_time":
        return [(run.end_time is None, run.end_time)]
    if key == "duration":
        end = run.end_time if run.end_time is not None else now
        return [(False, end - (run.start_time or 0.0))]
    return [(False, run.start_time)]


def _ordering(sorts: Sequence[Tuple[str, bool]], now: float) -> Callable[[_Run, _Run], int]:
    def compare(a: _Run, b: _Run) -> int:
        for key, descending in sorts:
            for (a_null, a_value), (b_null, b_value) in zip(_sort_parts(key, a, now), _sort_parts(key, b, now)):
                if a_null != b_null:
                    return 1 if a_null else -1
                if a_null:
                    continue
                order = _cmp(a_value, b_value)
                if order:
                    return -order if descending else order
        return _cmp(a.id, b.id)

    return compare


# ---------------------------------------------------------------------------------------------
# The API.


def to_record(run: _Run) -> RunRecord:
    record = RunRecord(run.id)
    record.name = run.name
    record.experiment = run.experiment
    record.status = run.status
    record.params = dict(run.params)
    record.tags = dict(run.tags)
    record.metrics = {key: series.last for key, series in sorted(run.metrics.items())}
    record.start_time = None if run.start_time is None else int(run.start_time)
    record.end_time = None if run.end_time is None else int(run.end_time)
    record.deleted = run.deleted
    record.user = run.user
    record.source = run.source
    record.parent_run_id = run.parent_run_id
    record.git = dict(run.git) if run.git else None
    return record


def find_runs(store: str, filter: Optional[str], order_by: Sequence[str], max_results: Optional[int],
              view: str = "active", experiment_names: Optional[Sequence[str]] = None,
              now: Optional[float] = None) -> List[_Run]:
    """The runs a search finds, in its order (the store's listRuns)."""
    node = parse_filter(filter) if filter else None
    sorts = [parse_order_by(clause) for clause in order_by] or [("start_time", True)]
    moment = time.time() * 1000 if now is None else now
    evaluator = _Evaluator(moment)
    found = []
    for run in read_runs(store):
        if view == "active" and run.deleted or view == "deleted" and not run.deleted:
            continue
        if experiment_names is not None and run.experiment not in experiment_names:
            continue
        if node is not None and not evaluator.matches(node, run):
            continue
        found.append(run)
    found.sort(key=cmp_to_key(_ordering(sorts, moment)))
    return found if max_results is None else found[:max_results]


def _dataframe(runs: Sequence[_Run]) -> Any:
    try:
        import pandas  # type: ignore[import-not-found]
    except ImportError:
        raise ImportError("runlog.search_runs(output_format='pandas') needs pandas, which this Python does not "
                          "have; output_format='list' returns run records") from None
    metric_keys = sorted({key for run in runs for key in run.metrics})
    param_keys = sorted({key for run in runs for key in run.params})
    tag_keys = sorted({key for run in runs for key in run.tags})

    def when(ms: Optional[float]) -> Any:
        return pandas.NaT if ms is None else pandas.Timestamp(int(ms), unit="ms", tz="UTC")

    rows = []
    for run in runs:
        row: Dict[str, Any] = {
            "run_id": run.id,
            "run_name": run.name,
            "experiment": run.experiment,
            "status": run.status,
            "start_time": when(run.start_time),
            "end_time": when(run.end_time),
        }
        for key in metric_keys:
            series = run.metrics.get(key)
            row["metrics." + key] = series.last if series is not None else math.nan
        for key in param_keys:
            row["params." + key] = run.params.get(key)
        for key in tag_keys:
            row["tags." + key] = run.tags.get(key)
        rows.append(row)
    columns = (["run_id", "run_name", "experiment", "status", "start_time", "end_time"]
               + ["metrics." + k for k in metric_keys] + ["params." + k for k in param_keys]
               + ["tags." + k for k in tag_keys])
    return pandas.DataFrame(rows, columns=columns)


@raises_store_error("search_runs")
def search_runs(filter: Optional[str] = None, order_by: Optional[Sequence[str]] = None,
                max_results: Optional[int] = 1000, output_format: str = "list",
                experiment_names: Optional[Sequence[str]] = None, run_view_type: str = "ACTIVE_ONLY",
                store: Optional[str] = None, filter_string: Optional[str] = None) -> Any:
    """Runs of the store that match ``filter`` (the editor's filter language: MLflow's search syntax plus
    OR, NOT and parentheses), ordered by ``order_by`` (MLflow's clauses; default newest first), at most
    ``max_results``. Returns a list of ``RunRecord``, or a pandas DataFrame (one row per run, columns
    ``run_id``, ``run_name``, ``experiment``, ``status``, ``start_time``, ``end_time``, ``metrics.*``,
    ``params.*``, ``tags.*``) when ``output_format="pandas"``. ``filter_string`` is MLflow's name for
    ``filter``. A filter that does not parse raises ``runlog.FilterError`` (a ValueError) with its position.
    """
    if filter is not None and filter_string is not None:
        raise TypeError("runlog.search_runs: give filter or filter_string, not both")
    text = filter if filter is not None else filter_string
    if output_format not in ("list", "pandas"):
        raise ValueError("runlog.search_runs: output_format is 'list' or 'pandas', not %r" % (output_format,))
    view = VIEW_TYPES.get(run_view_type)
    if view is None:
        raise ValueError("runlog.search_runs: run_view_type is ACTIVE_ONLY, DELETED_ONLY or ALL, not %r"
                         % (run_view_type,))
    if max_results is not None and (isinstance(max_results, bool) or not isinstance(max_results, int)
                                    or max_results < 1):
        raise ValueError("runlog.search_runs: max_results is a positive integer, not %r" % (max_results,))
    if isinstance(order_by, str):
        order_by = [order_by]
    folder = _registry.store_for(store)
    runs = find_runs(folder, (text or "").strip() or None, list(order_by or []), max_results, view,
                     list(experiment_names) if experiment_names is not None else None)
    if output_format == "pandas":
        return _dataframe(runs)
    return [to_record(run) for run in runs]
