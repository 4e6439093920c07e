"""Scoring requests in MLflow's format, and model outputs as JSON, for ``runlog.serve``.

Requests: ``{"inputs": [...]}``, ``{"instances": [...]}``, ``{"dataframe_split": {"columns": [...],
"data": [[...], ...]}}`` or ``{"dataframe_records": [{column: value}, ...]}``. A model of Runlog's
demo takes rows (lists of numbers); a dataframe's rows are put in the column order of the model's
signature when it has one, so a client may send the columns in any order.
"""

import json
import math
from typing import Any, List, Optional, Sequence

INPUT_KEYS = ("inputs", "instances", "dataframe_split", "dataframe_records")


class BadRequest(ValueError):
    """The request cannot be scored; the message is shown to the client."""


def signature_columns(signature_inputs: Any) -> Optional[List[str]]:
    """The input column names of an MLmodel signature (its ``inputs`` JSON text), if it names them."""
    try:
        spec = json.loads(signature_inputs) if isinstance(signature_inputs, str) else signature_inputs
    except ValueError:
        return None
    if not isinstance(spec, list) or not spec:
        return None
    names = [entry.get("name") for entry in spec if isinstance(entry, dict)]
    return names if len(names) == len(spec) and all(isinstance(n, str) for n in names) else None


def _reorder(columns: Sequence[str], rows: List[list], wanted: Optional[List[str]]) -> List[list]:
    if wanted is None or list(columns) == wanted:
        return rows
    missing = [name for name in wanted if name not in columns]
    if missing:
        raise BadRequest("missing column(s) the model needs: %s" % ", ".join(missing))
    index = [list(columns).index(name) for name in wanted]
    return [[row[i] for i in index] for row in rows]


def model_input(payload: Any, wanted: Optional[List[str]] = None) -> list:
    """The rows (or instances) to pass to ``predict``, or BadRequest saying what is wrong."""
    if not isinstance(payload, dict):
        raise BadRequest("the body must be a JSON object with one of: %s" % ", ".join(INPUT_KEYS))
    given = [key for key in INPUT_KEYS if key in payload]
    if len(given) != 1:
        raise BadRequest("the body must have exactly one of: %s" % ", ".join(INPUT_KEYS))
    key = given[0]
    value = payload[key]
    if key in ("inputs", "instances"):
        if not isinstance(value, list):
            raise BadRequest('"%s" must be a list' % key)
        return value
    if key == "dataframe_records":
        if not isinstance(value, list) or not all(isinstance(record, dict) for record in value):
            raise BadRequest('"dataframe_records" must be a list of objects')
        columns = wanted or (list(value[0]) if value else [])
        try:
            return [[record[name] for name in columns] for record in value]
        except KeyError as exc:
            raise BadRequest("a record lacks the column %s" % json.dumps(exc.args[0])) from None
    if not isinstance(value, dict):
        raise BadRequest('"dataframe_split" must be an object with "columns" and "data"')
    columns, rows = value.get("columns"), value.get("data")
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise BadRequest('"dataframe_split.data" must be a list of rows (lists)')
    if columns is None:
        return rows
    if not isinstance(columns, list) or not all(isinstance(name, str) for name in columns):
        raise BadRequest('"dataframe_split.columns" must be a list of names')
    if len(set(columns)) != len(columns):
        raise BadRequest('"dataframe_split.columns" names a column twice')
    if any(len(row) != len(columns) for row in rows):
        raise BadRequest("every row of dataframe_split.data must have one value per column")
    return _reorder(columns, rows, wanted)


def to_json(value: Any, depth: int = 0) -> Any:
    """A model's output as plain JSON: numpy arrays and scalars (or anything with ``tolist``/``item``)
    become lists and numbers, tuples lists; NaN and infinities, which JSON lacks, become null."""
    if depth > 64:
        raise TypeError("the prediction is nested too deeply")
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(key): to_json(item, depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(item, depth + 1) for item in value]
    for method in ("tolist", "item"):
        convert = getattr(value, method, None)
        if callable(convert):
            return to_json(convert(), depth + 1)
    raise TypeError("the prediction holds a %s, which has no JSON form" % type(value).__name__)
