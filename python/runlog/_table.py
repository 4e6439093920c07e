"""Tables for ``log_table``: MLflow's JSON ``orient="split"`` form, ``{"columns": [...], "data": [[...]]}``.

A dict of columns is converted here, without pandas: each value is a column (a list, tuple, range,
numpy array or pandas Series) or a single cell repeated down the table (a dict of single cells is
one row, as MLflow's pandas makes it); cells become JSON values. A pandas DataFrame is written by
pandas, as MLflow writes it: ``to_json(orient="split", index=False, date_format="iso")``.

Appending to a table the run already has joins the two the way MLflow's ``pd.concat`` does: the
columns of the old table, then the new table's other columns; cells a row lacks are ``null``.
"""

import datetime
import json
import math
import sys
from typing import Any, Callable, Dict, List, Optional, Tuple

# The characters MLflow refuses in a table's artifact_file (its client.py, _check_artifact_file_string).
FORBIDDEN_CHARACTERS = ('"', "'", ",", ":", "[", "]", "{", "}")


def check_artifact_file(artifact_file: str) -> None:
    for ch in FORBIDDEN_CHARACTERS:
        if ch in artifact_file:
            raise ValueError("runlog.log_table: artifact_file may not hold %r (MLflow refuses it too): %r"
                             % (ch, artifact_file))
    if not artifact_file.endswith(".json"):
        raise ValueError("runlog.log_table: a table is written as JSON: artifact_file must end in .json, not %r"
                         % artifact_file)


def is_dataframe(value: Any) -> bool:
    pandas = sys.modules.get("pandas")
    frame = getattr(pandas, "DataFrame", None) if pandas is not None else None
    return isinstance(frame, type) and isinstance(value, frame)


def is_image_cell(value: Any) -> bool:
    """MLflow's test for an image in a table: an object with ``save``, ``resize`` and ``size``."""
    return callable(getattr(value, "save", None)) and callable(getattr(value, "resize", None)) and hasattr(value, "size")


def _is_column(value: Any) -> bool:
    if isinstance(value, (list, tuple, range)):
        return True
    module = type(value).__module__ or ""
    if module.startswith("numpy") and hasattr(value, "ndim") and hasattr(value, "tolist"):
        if value.ndim == 0:
            return False
        if value.ndim != 1:
            raise ValueError("runlog.log_table: a column is one-dimensional; this array has shape %s"
                             % (tuple(value.shape),))
        return True
    return module.startswith("pandas") and type(value).__name__ == "Series"


def cell(value: Any, where: str) -> Any:
    """A cell as a JSON value: NaN and the infinities are null (as pandas writes them), numpy
    scalars their Python values, dates ISO 8601, tuples lists; other types raise TypeError."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime.datetime):
        return value.isoformat(timespec="milliseconds")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    module = type(value).__module__ or ""
    if module.startswith("pandas") and type(value).__name__ in ("NaTType", "NAType"):
        return None
    if module.startswith("numpy") and hasattr(value, "tolist"):
        return cell(value.tolist(), where)
    if module.startswith("pandas") and hasattr(value, "isoformat"):  # Timestamp
        return cell(value.to_pydatetime() if hasattr(value, "to_pydatetime") else value.isoformat(), where)
    if isinstance(value, (list, tuple)):
        return [cell(item, where) for item in value]
    if isinstance(value, dict):
        return {str(key): cell(item, where) for key, item in value.items()}
    raise TypeError("runlog.log_table: %s holds a %s, which a JSON table cannot hold (use str, numbers, "
                    "booleans, None, lists or dicts)" % (where, type(value).__name__))


def _column_name(name: Any) -> Any:
    if name is None or isinstance(name, (str, bool, int)):
        return name
    if isinstance(name, float):
        return name if math.isfinite(name) else None
    return str(name)


def from_dict(data: Dict[Any, Any], image_cell: Callable[[Any], Dict[str, str]]) -> Dict[str, Any]:
    """A dict of columns as ``{"columns", "data"}``; ``image_cell`` stores an image cell and returns
    what the table holds for it (MLflow's ``{"type": "image", "filepath", "compressed_filepath"}``)."""
    names = list(data)
    columns: List[Optional[List[Any]]] = []
    length: Optional[int] = None
    for name in names:
        value = data[name]
        if isinstance(value, dict):
            raise ValueError("runlog.log_table: column %r is a dict; a column is a list of cells (or one cell)" % (name,))
        if _is_column(value):
            cells = value.tolist() if hasattr(value, "tolist") and not isinstance(value, (list, tuple, range)) else list(value)
            if length is not None and len(cells) != length:
                raise ValueError("runlog.log_table: the columns have different lengths (%r has %d cells, another %d)"
                                 % (name, len(cells), length))
            length = len(cells)
            columns.append(cells)
        else:
            columns.append(None)  # one cell, repeated down the table
    rows = 1 if length is None else length
    filled = [[data[name]] * rows if cells is None else cells for name, cells in zip(names, columns)]
    for name, cells in zip(names, filled):
        images = [is_image_cell(value) for value in cells]
        if any(images) and not all(images):
            raise ValueError("runlog.log_table: column %r mixes images and other cells; a column holds one or "
                             "the other, as in MLflow" % (name,))
        if cells and all(images):
            cells[:] = [image_cell(value) for value in cells]
        else:
            cells[:] = [cell(value, "column %r" % (name,)) for value in cells]
    return {"columns": [_column_name(name) for name in names], "data": [list(row) for row in zip(*filled)]
            if filled else []}


def from_dataframe(frame: Any, image_cell: Callable[[Any], Dict[str, str]]) -> Tuple[bytes, Dict[str, Any]]:
    """A DataFrame as pandas writes it for MLflow, and the same table parsed (for appending)."""
    object_columns = list(frame.select_dtypes(include=["object"]).columns)
    if object_columns:
        frame = frame.copy()  # images become cells in our copy, never in the caller's frame
        for name in object_columns:
            images = frame[name].map(is_image_cell)
            if images.any() and not images.all():
                raise ValueError("runlog.log_table: column %r mixes images and other cells; a column holds one or "
                                 "the other, as in MLflow" % (name,))
            if len(images) and images.all():
                frame[name] = frame[name].map(image_cell)
    try:
        text = frame.to_json(orient="split", index=False, date_format="iso")
    except Exception as exc:  # noqa: BLE001 - pandas raises several kinds for what it cannot encode
        raise TypeError("runlog.log_table: pandas cannot write this DataFrame as JSON: %s" % exc) from None
    return text.encode("utf-8"), json.loads(text)


def parse(data: bytes, where: str) -> Dict[str, Any]:
    """A stored table; ValueError if the file is not one (another artifact has its name)."""
    try:
        # NaN and the infinities (which pandas never writes) become null, as they would in a cell.
        table = json.loads(data.decode("utf-8"), parse_constant=lambda name: None)
    except ValueError:
        table = None
    if (not isinstance(table, dict) or not isinstance(table.get("columns"), list)
            or not isinstance(table.get("data"), list)
            or not all(isinstance(row, list) and len(row) == len(table["columns"]) for row in table["data"])):
        raise ValueError("runlog.log_table: %s exists in the run and is not a table (JSON with \"columns\" and "
                         "\"data\" rows); log the table under another name" % where)
    return table


def append(old: Dict[str, Any], new: Dict[str, Any]) -> Dict[str, Any]:
    """The rows of ``old`` then those of ``new``, over the old columns then the new ones."""
    for table in (old, new):
        names = [json.dumps(name) for name in table["columns"]]
        if len(set(names)) != len(names):
            raise ValueError("runlog.log_table: cannot append to or with a table whose column names repeat: %r"
                             % (table["columns"],))
    keys = [json.dumps(name) for name in old["columns"]]
    columns = list(old["columns"])
    for name in new["columns"]:
        if json.dumps(name) not in keys:
            keys.append(json.dumps(name))
            columns.append(name)
    position = {key: index for index, key in enumerate(keys)}
    rows = [row + [None] * (len(columns) - len(row)) for row in old["data"]]
    places = [position[json.dumps(name)] for name in new["columns"]]
    for row in new["data"]:
        merged: List[Any] = [None] * len(columns)
        for place, value in zip(places, row):
            merged[place] = value
        rows.append(merged)
    return {"columns": columns, "data": rows}


def encode(table: Dict[str, Any]) -> bytes:
    """The table as compact JSON (ASCII, as pandas writes it)."""
    return json.dumps({"columns": table["columns"], "data": table["data"]}, separators=(",", ":"),
                      allow_nan=False).encode("ascii")
