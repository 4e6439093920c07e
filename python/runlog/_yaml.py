"""YAML for ``log_dict``, written with the standard library the way PyYAML's
``yaml.dump(data, indent=2, default_flow_style=False)`` writes it (what MLflow's ``log_dict`` calls).

Block style, keys sorted (insertion order when they cannot be compared), sequences under a key not
indented, empty collections as ``{}`` and ``[]``. A string is written plain when YAML 1.1 would read
it back as the same string, else in single quotes, else (characters outside printable ASCII, a
space next to a line break) in double quotes with escapes; long lines fold at spaces past column
80, as PyYAML folds them. Numbers, booleans and None are YAML's; dates and datetimes are YAML
timestamps. What YAML has no type for is written as its ``str()`` (as ``log_dict``'s JSON does with
``default=str``): tuples and numpy arrays become lists, numpy scalars their Python values.

Unlike PyYAML, an object that appears twice is written twice (no ``&id001`` anchors), and a
structure that contains itself raises ValueError.
"""

import datetime
import math
import re
from typing import Any, List, Optional

WIDTH = 80
INDENT = 2

# What YAML 1.1 reads as something other than a string when it is written plain (PyYAML's
# implicit resolvers): booleans, null, integers, floats, timestamps, the merge key and "=".
_IMPLICIT = re.compile(
    r"""^(?:
        yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
      | ~|null|Null|NULL|
      | [-+]?0b[0-1_]+ | [-+]?0[0-7_]+ | [-+]?(?:0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+
      | [-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+
      | [-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)? | \.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
      | [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]* | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)
      | [0-9]{4}-[0-9]{2}-[0-9]{2}
      | [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[\ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?
        (?:[\ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?
      | <<|=
    )$""",
    re.X,
)

_BREAKS = "\n\x85\u2028\u2029"
_WHITESPACE = "\0 \t\r" + _BREAKS
_ESCAPES = {
    "\0": "0", "\x07": "a", "\x08": "b", "\t": "t", "\n": "n", "\x0b": "v", "\x0c": "f", "\r": "r",
    "\x1b": "e", '"': '"', "\\": "\\", "\x85": "N", "\xa0": "_", "\u2028": "L", "\u2029": "P",
}


def _styles(text: str) -> "tuple":
    """(plain allowed in a block, single quotes allowed, spans lines) for a string, by YAML's
    rules for indicators, surrounding spaces, line breaks and non-printable characters."""
    if not text:
        return False, True, False
    indicators = text.startswith("---") or text.startswith("...")
    flow_indicators = indicators
    breaks = special = False
    leading = trailing = space_break = break_space = False
    previous_space = previous_break = False
    last = len(text) - 1
    for index, ch in enumerate(text):
        after = text[index + 1] if index < last else None
        followed_by_space = after is None or after in _WHITESPACE
        preceded_by_space = index == 0 or text[index - 1] in _WHITESPACE
        if index == 0:
            if ch in "#,[]{}&*!|>'\"%@`":
                indicators = flow_indicators = True
            elif ch in "?:":
                flow_indicators = True
                indicators = indicators or followed_by_space
            elif ch == "-" and followed_by_space:
                indicators = flow_indicators = True
        else:
            if ch in ",?[]{}":
                flow_indicators = True
            elif ch == ":":
                flow_indicators = True
                indicators = indicators or followed_by_space
            elif ch == "#" and preceded_by_space:
                indicators = flow_indicators = True
        if ch in _BREAKS:
            breaks = True
        if not (ch == "\n" or "\x20" <= ch <= "\x7e"):
            special = True
        if ch == " ":
            leading = leading or index == 0
            trailing = trailing or index == last
            break_space = break_space or previous_break
            previous_space, previous_break = True, False
        elif ch in _BREAKS:
            leading = leading or index == 0
            trailing = trailing or index == last
            space_break = space_break or previous_space
            previous_space, previous_break = False, True
        else:
            previous_space = previous_break = False
    plain = not (leading or trailing or break_space or space_break or special or breaks or indicators)
    single = not (break_space or space_break or special)
    return plain, single, breaks


class _Writer:
    def __init__(self) -> None:
        self.parts: List[str] = []
        self.column = 0

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.column += len(text)

    def line_break(self) -> None:
        self.parts.append("\n")
        self.column = 0

    def indent(self, indent: int) -> None:
        self.line_break()
        self.write(" " * indent)

    # --- scalars (PyYAML's plain, single-quoted and double-quoted writers) ---

    def plain(self, text: str, indent: int, split: bool) -> None:
        position = 0
        while position < len(text):
            if text[position] == " ":
                end = position
                while end < len(text) and text[end] == " ":
                    end += 1
                if end - position == 1 and self.column > WIDTH and split:
                    self.indent(indent)
                else:
                    self.write(text[position:end])
            else:
                end = position
                while end < len(text) and text[end] != " ":
                    end += 1
                self.write(text[position:end])
            position = end

    def single_quoted(self, text: str, indent: int, split: bool) -> None:
        self.write("'")
        position = 0
        while position < len(text):
            ch = text[position]
            if ch == " ":
                end = position
                while end < len(text) and text[end] == " ":
                    end += 1
                if end - position == 1 and self.column > WIDTH and split and position != 0 and end != len(text):
                    self.indent(indent)
                else:
                    self.write(text[position:end])
            elif ch == "\n":
                end = position
                while end < len(text) and text[end] == "\n":
                    end += 1
                self.line_break()  # a line break inside quotes folds: one more keeps it
                for _ in range(end - position):
                    self.line_break()
                self.write(" " * indent)
            else:
                end = position
                while end < len(text) and text[end] not in " \n":
                    end += 1
                self.write(text[position:end].replace("'", "''"))
            position = end
        self.write("'")

    def double_quoted(self, text: str, indent: int, split: bool) -> None:
        self.write('"')
        start = end = 0
        while end <= len(text):
            ch = text[end] if end < len(text) else None
            if ch is None or ch in '"\\\x85\u2028\u2029\ufeff' or not ("\x20" <= ch <= "\x7e"):
                if start < end:
                    self.write(text[start:end])
                    start = end
                if ch is not None:
                    if ch in _ESCAPES:
                        self.write("\\" + _ESCAPES[ch])
                    elif ch <= "\xff":
                        self.write("\\x%02X" % ord(ch))
                    elif ch <= "\uffff":
                        self.write("\\u%04X" % ord(ch))
                    else:
                        self.write("\\U%08X" % ord(ch))
                    start = end + 1
            if (0 < end < len(text) - 1 and (ch == " " or start >= end)
                    and self.column + (end - start) > WIDTH and split):
                self.write(text[start:end] + "\\")
                start = max(start, end)
                self.indent(indent)
                if text[start] == " ":
                    self.write("\\")
            end += 1
        self.write('"')

    def string(self, text: str, indent: int, key: bool = False) -> bool:
        """Writes a string scalar; returns whether it was written plain."""
        plain, single, multiline = _styles(text)
        if plain and not _IMPLICIT.match(text) and not (key and (not text or multiline)):
            self.plain(text, indent, split=not key)
            return True
        if single and not (key and multiline):
            self.single_quoted(text, indent, split=not key)
        else:
            self.double_quoted(text, indent, split=not key)
        return False


def _float(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value).lower()
    if "." not in text and "e" in text:
        text = text.replace("e", ".0e", 1)
    return text


def _plain_value(value: Any) -> Optional[str]:
    """How a non-string scalar is written (always plain), or None for strings and collections."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat(" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return None


def _normalize(value: Any, active: set) -> Any:
    """Python values YAML has types for: numpy scalars and arrays, tuples and other objects
    become their Python values, lists and strings."""
    if isinstance(value, (str, bool, int, float, datetime.date)) or value is None:
        return value
    module = type(value).__module__ or ""
    if module == "numpy" or module.startswith("numpy."):
        if hasattr(value, "tolist"):
            return _normalize(value.tolist(), active)
    if isinstance(value, dict) or isinstance(value, (list, tuple)):
        if id(value) in active:
            raise ValueError("runlog.log_dict: the object contains itself; YAML cannot hold it")
        active.add(id(value))
        try:
            if isinstance(value, dict):
                return {key if isinstance(key, (str, bool, int, float, datetime.date)) or key is None else str(key):
                        _normalize(item, active) for key, item in value.items()}
            return [_normalize(item, active) for item in value]
        finally:
            active.discard(id(value))
    return str(value)


def _sorted_items(mapping: dict) -> list:
    items = list(mapping.items())
    try:
        return sorted(items)
    except TypeError:
        return items


def _scalar(writer: _Writer, value: Any, indent: int, key: bool = False) -> bool:
    """Writes a scalar or an empty collection; returns whether it was plain."""
    if isinstance(value, str):
        return writer.string(value, indent, key)
    if isinstance(value, dict):
        writer.write("{}")
        return False
    if isinstance(value, list):
        writer.write("[]")
        return False
    # Plain too, so a datetime ("2024-01-02 03:04:05") folds at its space past column 80, as PyYAML's does.
    writer.plain(_plain_value(value), indent, split=not key)  # type: ignore[arg-type]
    return True


def _is_block(value: Any) -> bool:
    return isinstance(value, (dict, list)) and len(value) > 0


def _tag_length(key: Any) -> int:
    """The length of the key's YAML tag (``!!str``, ``!!int``, ...), which PyYAML counts in a key's length."""
    if isinstance(key, str):
        return len("!!str")
    if isinstance(key, bool) or key is None:
        return len("!!bool")  # as long as "!!null"
    if isinstance(key, int):
        return len("!!int")
    if isinstance(key, float):
        return len("!!float")
    return len("!!timestamp")


def _simple_key(key: Any) -> bool:
    """Whether a key goes before its ":" on one line, as PyYAML decides: its text and tag shorter
    than 128 characters, not empty, on one line."""
    text = key if isinstance(key, str) else _plain_value(key) or ""
    return bool(text) and len(text) + _tag_length(key) < 128 and not any(ch in _BREAKS for ch in text)


def _mapping(writer: _Writer, mapping: dict, indent: int, first_inline: bool) -> None:
    for number, (key, value) in enumerate(_sorted_items(mapping)):
        if number or not first_inline:
            if writer.parts:
                writer.line_break()
            writer.write(" " * indent)
        if not _simple_key(key):
            # PyYAML's complex key: "? key", then ": value" on the next line.
            writer.write("? ")
            _scalar(writer, key, indent + INDENT)
            writer.line_break()
            writer.write(" " * indent + ": ")
            if isinstance(value, dict) and value:
                _mapping(writer, value, indent + INDENT, first_inline=True)
            elif isinstance(value, list) and value:
                _sequence(writer, value, indent + INDENT, first_inline=True)
            else:
                _scalar(writer, value, indent + INDENT)
            continue
        _scalar(writer, key, indent + INDENT, key=True)
        writer.write(":")
        if isinstance(value, dict) and value:
            writer.line_break()
            writer.write(" " * (indent + INDENT))
            _mapping(writer, value, indent + INDENT, first_inline=True)
        elif isinstance(value, list) and value:
            writer.line_break()
            writer.write(" " * indent)
            _sequence(writer, value, indent, first_inline=True)
        else:
            writer.write(" ")
            _scalar(writer, value, indent + INDENT)


def _sequence(writer: _Writer, sequence: list, indent: int, first_inline: bool) -> None:
    for number, item in enumerate(sequence):
        if number or not first_inline:
            if writer.parts:
                writer.line_break()
            writer.write(" " * indent)
        writer.write("- ")
        if isinstance(item, dict) and item:
            _mapping(writer, item, indent + INDENT, first_inline=True)
        elif isinstance(item, list) and item:
            _sequence(writer, item, indent + INDENT, first_inline=True)
        else:
            _scalar(writer, item, indent + INDENT)


def dump(data: Any) -> str:
    """``data`` as a YAML document (see the module's docstring)."""
    value = _normalize(data, set())
    writer = _Writer()
    if isinstance(value, dict) and value:
        _mapping(writer, value, 0, first_inline=True)
        return "".join(writer.parts) + "\n"
    if isinstance(value, list) and value:
        _sequence(writer, value, 0, first_inline=True)
        return "".join(writer.parts) + "\n"
    plain = _scalar(writer, value, INDENT)
    # A plain scalar at the top may go on past its line: PyYAML ends the document explicitly.
    return "".join(writer.parts) + ("\n...\n" if plain and not isinstance(value, (dict, list)) else "\n")
