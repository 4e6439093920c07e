"""The run filter language, read in Python: a port of ``src/store/filter.ts`` (the Runs view's query
box, MLflow's search syntax plus OR, NOT and parentheses; precedence NOT > AND > OR).

It exists so ``runlog.search_runs`` works on a training machine without Node. It is held to the
TypeScript parser and the store's SQL by a contract test (``test/unit/cli/searchMirror.test.ts``),
which runs the same filters through both on one store and compares the runs found and the errors:
a change to one side that the other does not follow fails that test. Messages and their positions
are the same as the editor's, except that positions count code points (Python's string indices)
where the editor counts UTF-16 units: they differ only after a character outside the BMP.
"""

import re
import unicodedata
from typing import Any, List, NamedTuple, Optional, Tuple, Union

MAX_FILTER_LENGTH = 10000
MAX_FILTER_DEPTH = 100

FILTER_OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "LIKE", "NOT LIKE", "ILIKE", "NOT ILIKE", "IN", "NOT IN",
                    "IS NULL", "IS NOT NULL")

# Run attributes and whether they hold numbers or strings (filter.ts ATTRIBUTES, in its order).
ATTRIBUTES = {
    "run_id": "string",
    "run_name": "string",
    "status": "string",
    "start_time": "number",
    "end_time": "number",
    "duration": "number",
    "user": "string",
    "experiment": "string",
    "experiment_id": "number",
    "command": "string",
    "entry_point": "string",
    "source": "string",
    "exit_code": "number",
    "parent_run_id": "string",
}
ATTRIBUTE_ALIASES = {"run_uuid": "run_id", "id": "run_id", "name": "run_name", "user_id": "user",
                     "experiment_name": "experiment"}
INPUT_FIELDS = ("name", "digest", "path")

PREFIX_SPELLINGS = {
    "metric": ("metric", "metrics"),
    "param": ("param", "params", "parameter", "parameters"),
    "tag": ("tag", "tags"),
    "attribute": ("attribute", "attributes", "attr", "run"),
    "input": ("input", "inputs", "dataset", "datasets"),
}
PREFIXES = {spelling: entity for entity, spellings in PREFIX_SPELLINGS.items() for spelling in spellings}
CANONICAL_PREFIX = {"metric": "metrics", "param": "params", "tag": "tags", "attribute": "attributes",
                    "input": "inputs"}


class FilterError(ValueError):
    """A filter that does not parse, with where: ``position`` (0-based) and ``length``."""

    def __init__(self, reason: str, position: int, length: int = 1) -> None:
        suffix = "" if reason.endswith("at %d" % position) else " (at %d)" % position
        super().__init__(reason + suffix)
        self.reason = reason
        self.position = position
        self.length = length


class Field(NamedTuple):
    entity: str  # metric | param | tag | attribute | input
    key: str  # the key; for attributes and inputs, the field's canonical name


class Comparison(NamedTuple):
    field: Field
    operator: str
    # ("string", str) | ("number", float) | ("strings", [str]) | ("numbers", [float]) | ("none", None)
    value: Tuple[str, Any]
    position: int
    length: int


class Node(NamedTuple):
    kind: str  # and | or | not
    operands: Tuple[Any, ...]


FilterNode = Union[Comparison, Node]

# ---------------------------------------------------------------------------------------------
# Type rules, shared by the parser and the evaluator (filter.ts: valueType, operatorProblem, …).


def _value_type(field: Field) -> str:
    if field.entity == "metric":
        return "number"
    if field.entity == "param":
        return "either"
    if field.entity in ("tag", "input"):
        return "string"
    return ATTRIBUTES[field.key]


def _is_pattern(op: str) -> bool:
    return op.endswith("LIKE")


def _is_order(op: str) -> bool:
    return op in ("<", "<=", ">", ">=")


def _is_key_char(char: str) -> bool:
    return _is_letter(char) or _is_number(char) or char in "_-./:"


def field_name(field: Field) -> str:
    """How a field is written in messages: the canonical prefix, the key quoted only when needed."""
    prefix = CANONICAL_PREFIX[field.entity]
    if field.entity in ("attribute", "input"):
        return "%s.%s" % (prefix, field.key)
    if field.key and all(_is_key_char(c) for c in field.key):
        return "%s.%s" % (prefix, field.key)
    return "%s.`%s`" % (prefix, field.key.replace("`", "``"))


def operator_problem(field: Field, op: str) -> Optional[str]:
    kind = _value_type(field)
    if kind == "number" and _is_pattern(op):
        return "%s: %s does not apply to numbers (use =, !=, <, <=, >, >=, IN or NOT IN)" % (field_name(field), op)
    if kind == "string" and _is_order(op):
        return ('%s: "%s" compares numbers, and this is a string (use =, !=, LIKE, ILIKE, IN or NOT IN)'
                % (field_name(field), op))
    return None


def value_problem(field: Field, op: str, value: Union[str, float], found: str,
                  list_type: Optional[str] = None) -> Optional[str]:
    name = field_name(field)
    where = "in the %s list" % op if op in ("IN", "NOT IN") else 'after "%s"' % op
    kind = "string" if isinstance(value, str) else "number"
    if kind == "number" and value != value and not (field.entity == "metric" and op in ("=", "!=")):
        return "%s: NaN can only be compared with = or != on a metric" % name
    expected = _value_type(field)
    if expected == "number":
        return None if kind == "number" else "%s: expected a number %s, found %s" % (name, where, found)
    if expected == "string":
        return None if kind == "string" else "%s: expected a quoted string %s, found %s" % (name, where, found)
    if _is_pattern(op) and kind != "string":
        return "%s: %s needs a string value, found %s" % (name, op, found)
    if _is_order(op) and kind != "number":
        return "%s: expected a number %s, found %s" % (name, where, found)
    if list_type is not None and list_type != kind:
        return "%s: the %s list mixes strings and numbers" % (name, op)
    return None


# ---------------------------------------------------------------------------------------------
# Characters as JavaScript's regular expressions class them (\s, \p{L}, \p{N}, \d).

_JS_SPACE = set("\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff") | {chr(c) for c in range(0x2000, 0x200B)}


def _is_space(char: str) -> bool:
    return char in _JS_SPACE


def _is_letter(char: str) -> bool:
    return unicodedata.category(char).startswith("L")


def _is_number(char: str) -> bool:
    return unicodedata.category(char).startswith("N")


def _is_digit(char: str) -> bool:
    return "0" <= char <= "9"


_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
SPECIAL_NUMBERS = {"nan": float("nan"), "inf": float("inf"), "infinity": float("inf")}
OPERATORS = ("!=", "<>", "<=", ">=", "<", ">", "=")
CHARACTER_HINTS = {"&": " (write AND)", "|": " (write OR)", "!": " (write != or NOT)",
                   "'": " (quote keys with backticks or double quotes)"}


def _match_word(text: str, at: int) -> Optional[str]:
    """[\\p{L}_][\\p{L}\\p{N}_]*"""
    if at >= len(text) or not (_is_letter(text[at]) or text[at] == "_"):
        return None
    end = at + 1
    while end < len(text) and (_is_letter(text[end]) or _is_number(text[end]) or text[end] == "_"):
        end += 1
    return text[at:end]


def _match_run(text: str, at: int, accept) -> Optional[str]:
    end = at
    while end < len(text) and accept(text[end]):
        end += 1
    return text[at:end] if end > at else None


def _match_key(text: str, at: int) -> Optional[str]:
    return _match_run(text, at, _is_key_char)


def _match_number_tail(text: str, at: int) -> Optional[str]:
    return _match_run(text, at, lambda c: _is_letter(c) or _is_number(c) or c in "_.")


def _show_character(char: str) -> str:
    if char == " ":
        return "a space"
    if unicodedata.category(char)[0] in "LNPS":
        return '"%s"' % char
    return "U+%04X" % ord(char)


def _read_quoted(text: str, start: int, what: str) -> Tuple[str, int]:
    quote = text[start]
    value = []
    i = start + 1
    while i < len(text):
        char = text[i]
        following = text[i + 1] if i + 1 < len(text) else None
        if char == "\\" and following is not None and following in "\\'\"`":
            value.append(following)
            i += 2
        elif char == quote and following == quote:
            value.append(quote)
            i += 2
        elif char == quote:
            return "".join(value), i + 1
        else:
            value.append(char)
            i += 1
    raise FilterError("unterminated %s starting at %d" % (what, start), start, len(text) - start)


class _Token(NamedTuple):
    kind: str  # identifier | word | string | number | operator | ( | ) | , | end
    position: int
    length: int
    text: str
    value: Any = None  # string and number tokens; the operator of an operator token
    prefix: str = ""
    key: str = ""
    key_position: int = 0


def _tokenize(text: str) -> List[_Token]:
    tokens: List[_Token] = []
    i = 0

    def push(end: int, kind: str, **extra: Any) -> int:
        tokens.append(_Token(kind, i, end - i, text[i:end], **extra))
        return end

    while i < len(text):
        char = text[i]
        if _is_space(char):
            i += 1
        elif char in "(),":
            i = push(i + 1, char)
        elif char in "'\"":
            value, end = _read_quoted(text, i, "string")
            i = push(end, "string", value=value)
        elif char == "`":
            raise FilterError("backticks quote keys, as in metrics.`val loss`; quote values with '…'", i)
        elif _is_digit(char) or char in ".-":
            match = _NUMBER.match(text, i)
            number = match.group(0) if match else None
            infinity = _match_word(text, i + 1) if char == "-" else None
            infinity = infinity.lower() if infinity is not None else None
            if infinity is not None and SPECIAL_NUMBERS.get(infinity) == float("inf"):
                i = push(i + 1 + len(infinity), "number", value=float("-inf"))
            elif number is None:
                raise FilterError("unexpected character %s" % _show_character(char), i)
            else:
                tail = _match_number_tail(text, i + len(number)) or ""
                if tail:
                    bad = text[i:i + len(number) + len(tail)]
                    raise FilterError('invalid number "%s"' % bad, i, len(bad))
                i = push(i + len(number), "number", value=float(number))
        elif _match_word(text, i) is not None:
            word = _match_word(text, i) or ""
            dot = i + len(word)
            if dot >= len(text) or text[dot] != ".":
                special = SPECIAL_NUMBERS.get(word.lower())
                i = push(dot, "word") if special is None else push(dot, "number", value=special)
                continue
            key_start = dot + 1
            quote = text[key_start] if key_start < len(text) else None
            if quote in ("`", '"'):
                value, end = _read_quoted(text, key_start, "quoted key")
                if value == "":
                    raise FilterError("%s: the quoted key is empty" % word, key_start, end - key_start)
                i = push(end, "identifier", prefix=word, key=value, key_position=key_start)
            else:
                key = _match_key(text, key_start)
                if key is None:
                    found = "end of input" if quote is None else _show_character(quote)
                    hint = CHARACTER_HINTS.get(quote or "", "")
                    raise FilterError('expected a key after "%s.", found %s%s' % (word, found, hint), key_start)
                i = push(key_start + len(key), "identifier", prefix=word, key=key, key_position=key_start)
        else:
            operator = next((op for op in OPERATORS if text.startswith(op, i)), None)
            if text.startswith("==", i):
                raise FilterError('write "=" rather than "=="', i, 2)
            if operator is None:
                # One UTF-16 unit in the editor; one code point here.
                hint = CHARACTER_HINTS.get(char, "")
                raise FilterError("unexpected character %s%s" % (_show_character(char), hint), i, 1)
            i = push(i + len(operator), "operator", value="!=" if operator == "<>" else operator)
    tokens.append(_Token("end", len(text), 0, ""))
    return tokens


def _describe(token: _Token) -> str:
    if token.kind == "end":
        return "end of input"
    return '"%s"' % (token.text[:30] + "…" if len(token.text) > 30 else token.text)


def _is_word(token: _Token, word: str) -> bool:
    return token.kind == "word" and token.text.upper() == word


KEYWORDS = ("AND", "OR", "NOT", "IN", "LIKE", "ILIKE", "IS", "NULL")


def _error_at(position: int, length: int, reason: str) -> FilterError:
    return FilterError(reason, position, length)


def _token_error(token: _Token, reason: str) -> FilterError:
    return FilterError(reason, token.position, token.length)


class _Parser:
    def __init__(self, tokens: List[_Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    def parse(self) -> FilterNode:
        node = self.parse_or()
        token = self.peek()
        if token.kind == ")":
            raise _token_error(token, 'unmatched ")"')
        if token.kind != "end":
            raise _token_error(token, "expected AND, OR or end of input, found %s" % _describe(token))
        return node

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def next(self) -> _Token:
        token = self.peek()
        if token.kind != "end":
            self.index += 1
        return token

    def parse_or(self) -> FilterNode:
        operands = [self.parse_and()]
        while _is_word(self.peek(), "OR"):
            self.next()
            operands.append(self.parse_and())
        return operands[0] if len(operands) == 1 else Node("or", tuple(operands))

    def parse_and(self) -> FilterNode:
        operands = [self.parse_not()]
        while _is_word(self.peek(), "AND"):
            self.next()
            operands.append(self.parse_not())
        return operands[0] if len(operands) == 1 else Node("and", tuple(operands))

    def parse_not(self) -> FilterNode:
        token = self.peek()
        if not _is_word(token, "NOT") and token.kind != "(":
            return self.parse_comparison()
        self.next()
        self.depth += 1
        if self.depth > MAX_FILTER_DEPTH:
            raise _token_error(token, "the filter nests too deeply: at most %d levels of parentheses and NOT"
                               % MAX_FILTER_DEPTH)
        if token.kind == "(":
            node = self.parse_or()
            close = self.next()
            if close.kind == "end":
                raise _token_error(token, "unclosed parenthesis opened at %d" % token.position)
            if close.kind != ")":
                raise _token_error(close, 'expected AND, OR or ")", found %s' % _describe(close))
        else:
            node = Node("not", (self.parse_not(),))
        self.depth -= 1
        return node

    def parse_comparison(self) -> Comparison:
        start = self.next()
        if start.kind != "identifier":
            raise _not_an_identifier(start)
        field = _resolve_field(start)
        operator, op_position, op_length = self.parse_operator(field_name(field))
        problem = operator_problem(field, operator)
        if problem is not None:
            raise _error_at(op_position, op_length, problem)
        value = self.parse_value(field, operator)
        end = self.tokens[self.index - 1]
        return Comparison(field, operator, value, start.position, end.position + end.length - start.position)

    def parse_operator(self, name: str) -> Tuple[str, int, int]:
        token = self.next()

        def span(operator: str, last: _Token) -> Tuple[str, int, int]:
            return operator, token.position, last.position + last.length - token.position

        if token.kind == "operator":
            return span(token.value, token)
        word = token.text.upper()
        if token.kind == "word" and word in ("IN", "LIKE", "ILIKE"):
            return span(word, token)
        if _is_word(token, "NOT"):
            after = self.next()
            negated = "NOT " + after.text.upper()
            if after.kind == "word" and negated in ("NOT IN", "NOT LIKE", "NOT ILIKE"):
                return span(negated, after)
            raise _token_error(after, "%s: expected IN, LIKE or ILIKE after NOT, found %s" % (name, _describe(after)))
        if _is_word(token, "IS"):
            negation = self.next() if _is_word(self.peek(), "NOT") else None
            last = self.next()
            if not _is_word(last, "NULL"):
                raise _token_error(last, "%s: expected %sNULL after IS, found %s"
                                   % (name, "" if negation else "NOT or ", _describe(last)))
            return span("IS NOT NULL" if negation else "IS NULL", last)
        raise _token_error(token, "expected a comparison operator after %s, found %s" % (name, _describe(token)))

    def parse_value(self, field: Field, operator: str) -> Tuple[str, Any]:
        if operator in ("IS NULL", "IS NOT NULL"):
            return ("none", None)
        name = field_name(field)
        if operator not in ("IN", "NOT IN"):
            token = self.next()
            if token.kind not in ("string", "number"):
                raise _token_error(token, '%s: expected a value after "%s", found %s' % (name, operator,
                                                                                         _describe(token)))
            _check_value(field, operator, token)
            return (token.kind, token.value)
        opening = self.next()
        if opening.kind != "(":
            raise _token_error(opening, '%s: expected "(" and a list of values after %s, found %s'
                               % (name, operator, _describe(opening)))
        values: List[Any] = []
        list_type: Optional[str] = None
        while True:
            token = self.next()
            if token.kind == ")" and not values:
                raise _token_error(opening, "%s: the %s list is empty" % (name, operator))
            if token.kind not in ("string", "number"):
                raise _token_error(token, "%s: expected a value in the %s list, found %s"
                                   % (name, operator, _describe(token)))
            _check_value(field, operator, token, list_type)
            if list_type is None:
                list_type = token.kind
            values.append(token.value)
            separator = self.next()
            if separator.kind == ")":
                break
            if separator.kind == "end":
                raise _token_error(opening, "unclosed parenthesis opened at %d" % opening.position)
            if separator.kind != ",":
                raise _token_error(separator, '%s: expected "," or ")" in the %s list, found %s'
                                   % (name, operator, _describe(separator)))
        return ("numbers" if list_type == "number" else "strings", values)


def _check_value(field: Field, operator: str, token: _Token, list_type: Optional[str] = None) -> None:
    problem = value_problem(field, operator, token.value, _describe(token), list_type)
    if problem is not None:
        raise _token_error(token, problem)


def _not_an_identifier(token: _Token) -> FilterError:
    if token.kind != "word" or token.text.upper() in KEYWORDS:
        return _token_error(token, "expected a comparison such as metrics.loss < 0.5, found %s" % _describe(token))
    word = token.text
    lower = word.lower()
    if lower in ATTRIBUTES or lower in ATTRIBUTE_ALIASES:
        return _token_error(token, '"%s" needs a prefix: write attributes.%s' % (word, word))
    return _token_error(token, '"%s" needs a prefix: write metrics.%s, params.%s, tags.%s or attributes.…'
                        % (word, word, word, word))


def _resolve_field(token: _Token) -> Field:
    entity = PREFIXES.get(token.prefix.lower())
    if entity is None:
        raise _error_at(token.position, len(token.prefix), 'unknown prefix "%s": expected metrics., params., tags., '
                        "attributes. or inputs." % token.prefix)
    key_position = token.key_position
    key_length = token.position + token.length - token.key_position
    lower = token.key.lower()
    if entity == "attribute":
        name = lower if lower in ATTRIBUTES else ATTRIBUTE_ALIASES.get(lower)
        if name is not None:
            return Field(entity, name)
        raise _error_at(key_position, key_length, 'unknown attribute "%s": expected one of %s'
                        % (token.key, ", ".join(ATTRIBUTES)))
    if entity == "input":
        if lower in INPUT_FIELDS:
            return Field(entity, lower)
        raise _error_at(key_position, key_length, 'unknown input field "%s": expected name, digest or path'
                        % token.key)
    return Field(entity, token.key)


def parse_filter(text: str) -> Optional[FilterNode]:
    """Parses a filter; None when it is empty. Raises FilterError pointing at the problem."""
    if len(text) > MAX_FILTER_LENGTH:
        raise _error_at(MAX_FILTER_LENGTH, len(text) - MAX_FILTER_LENGTH, "the filter is too long: %d characters, "
                        "at most %d" % (len(text), MAX_FILTER_LENGTH))
    tokens = _tokenize(text)
    if len(tokens) == 1:
        return None
    return _Parser(tokens).parse()

