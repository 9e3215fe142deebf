"""JMS message selectors (the SQL-92 subset JMS 1.1 §3.8 defines), parsed by lark, compiled to closures.

A selector is parsed once per subscription into a tree of small functions; evaluating it against a
message costs only the expression, never the number of messages waiting. Logic is three-valued as
JMS requires: an unknown (null) operand makes a comparison unknown, and only TRUE selects.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError

Getter = Callable[[str], Any]
Compiled = Callable[[Getter], Any]

_GRAMMAR = r"""
?start: or_expr
?or_expr: and_expr (_OR and_expr)*            -> or_
?and_expr: not_expr (_AND not_expr)*          -> and_
?not_expr: _NOT not_expr                      -> not_
         | predicate
?predicate: sum COMPARE sum                   -> compare
         | sum _BETWEEN sum _AND sum          -> between
         | sum NEGATE_BETWEEN sum _AND sum    -> not_between
         | sum _IN "(" literal ("," literal)* ")"          -> in_
         | sum _NOT _IN "(" literal ("," literal)* ")"     -> not_in
         | sum _LIKE STRING (_ESCAPE STRING)?              -> like
         | sum _NOT _LIKE STRING (_ESCAPE STRING)?         -> not_like
         | sum _IS _NULL                      -> is_null
         | sum _IS _NOT _NULL                 -> is_not_null
         | sum
?sum: product (ADDOP product)*                -> arith
?product: unary (MULOP unary)*                -> arith
?unary: "-" unary                             -> neg
      | "+" unary
      | atom
?atom: literal
     | IDENT                                  -> ident
     | "(" or_expr ")"
literal: STRING                               -> string
       | FLOAT                                -> float_
       | HEX                                  -> hex_
       | INT                                  -> int_
       | _TRUE                                -> true
       | _FALSE                               -> false

NEGATE_BETWEEN.3: /NOT\s+BETWEEN\b/i
COMPARE: "=" | "<>" | "<=" | ">=" | "<" | ">"
ADDOP: "+" | "-"
MULOP: "*" | "/"
_OR.2: /OR\b/i
_AND.2: /AND\b/i
_NOT.2: /NOT\b/i
_BETWEEN.2: /BETWEEN\b/i
_IN.2: /IN\b/i
_LIKE.2: /LIKE\b/i
_ESCAPE.2: /ESCAPE\b/i
_IS.2: /IS\b/i
_NULL.2: /NULL\b/i
_TRUE.2: /TRUE\b/i
_FALSE.2: /FALSE\b/i
STRING: /'(?:[^']|'')*'/
FLOAT: /(\d+\.\d*|\.\d+)([eE][+-]?\d+)?[fFdD]?|\d+[eE][+-]?\d+[fFdD]?/
HEX: /0[xX][0-9a-fA-F]+/
INT: /\d+[lL]?/
IDENT: /[A-Za-z_$][A-Za-z0-9_$.]*/
%import common.WS
%ignore WS
"""


_RESERVED = frozenset(
    ["AND", "OR", "NOT", "BETWEEN", "IN", "LIKE", "ESCAPE", "IS", "NULL", "TRUE", "FALSE"]
)


class SelectorError(ValueError):
    """A selector that does not parse (ActiveMQ answers `InvalidSelectorException`)."""


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_NUMERIC = frozenset({int, float})
_OPERATORS = {
    "=": operator.eq,
    "<>": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}


def _compare(op: str, left: Any, right: Any) -> Any:
    if left is None or right is None:
        return None
    left_type, right_type = type(left), type(right)
    if left_type is right_type:
        if left_type in (str, bool) and op not in ("=", "<>"):
            return None  # strings and booleans compare only with = and <>
    elif not (left_type in _NUMERIC and right_type in _NUMERIC):
        return False  # JMS: comparing unlike types is false (ActiveMQ does the same)
    return _OPERATORS[op](left, right)


def _arith(op: str, left: Any, right: Any) -> Any:
    if not (_number(left) and _number(right)):
        return None
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if right == 0:
        return None
    if isinstance(left, int) and isinstance(right, int):
        return int(left / right)  # Java integer division truncates toward zero
    return left / right


def _unquote(token: Token) -> str:
    return str(token)[1:-1].replace("''", "'")


def _like_pattern(pattern: str, escape: str | None) -> re.Pattern[str]:
    if escape is not None and len(escape) != 1:
        raise SelectorError(f"ESCAPE must be a single character, not '{escape}'")
    parts: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if escape is not None and char == escape:
            following = next(chars, None)
            if following is None:
                raise SelectorError("LIKE pattern ends with its escape character")
            parts.append(re.escape(following))
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


@v_args(inline=True)
class _Compiler(Transformer):
    """Turns the parse tree into closures over a property getter."""

    def string(self, token: Token) -> Compiled:
        value = _unquote(token)
        return lambda get: value

    def int_(self, token: Token) -> Compiled:
        value = int(str(token).rstrip("lL"))
        return lambda get: value

    def hex_(self, token: Token) -> Compiled:
        value = int(str(token), 16)
        return lambda get: value

    def float_(self, token: Token) -> Compiled:
        value = float(str(token).rstrip("fFdD"))
        return lambda get: value

    def true(self) -> Compiled:
        return lambda get: True

    def false(self) -> Compiled:
        return lambda get: False

    def ident(self, token: Token) -> Compiled:
        name = str(token)
        if name.upper() in _RESERVED:
            raise SelectorError(f"'{name}' is a reserved word, not an identifier")
        return lambda get: get(name)

    def neg(self, operand: Compiled) -> Compiled:
        return lambda get: -value if _number(value := operand(get)) else None

    @v_args(inline=False)
    def arith(self, items: list[Any]) -> Compiled:
        first, rest = items[0], [(str(items[i]), items[i + 1]) for i in range(1, len(items), 2)]

        def evaluate(get: Getter) -> Any:
            value = first(get)
            for op, operand in rest:
                value = _arith(op, value, operand(get))
            return value

        return evaluate

    def compare(self, left: Compiled, op: Token, right: Compiled) -> Compiled:
        symbol = str(op)
        return lambda get: _compare(symbol, left(get), right(get))

    def between(self, value: Compiled, low: Compiled, high: Compiled) -> Compiled:
        def evaluate(get: Getter) -> Any:
            found = value(get)
            above = _compare(">=", found, low(get))
            if above is False:
                return False
            below = _compare("<=", found, high(get))
            if below is False:
                return False
            return None if above is None or below is None else True

        return evaluate

    def not_between(self, value: Compiled, _token: Token, low: Compiled, high: Compiled) -> Any:
        inner = self.between(value, low, high)
        return self.not_(inner)

    @v_args(inline=False)
    def in_(self, items: list[Compiled]) -> Compiled:
        value, options = items[0], {option(None) for option in items[1:]}

        def evaluate(get: Getter) -> Any:
            found = value(get)
            return None if found is None else found in options

        return evaluate

    @v_args(inline=False)
    def not_in(self, items: list[Compiled]) -> Compiled:
        return self.not_(self.in_(items))

    def like(self, value: Compiled, pattern: Token, escape: Token | None = None) -> Compiled:
        regex = _like_pattern(_unquote(pattern), None if escape is None else _unquote(escape))

        def evaluate(get: Getter) -> Any:
            found = value(get)
            if not isinstance(found, str):
                return None
            return regex.fullmatch(found) is not None

        return evaluate

    def not_like(self, value: Compiled, pattern: Token, escape: Token | None = None) -> Compiled:
        return self.not_(self.like(value, pattern, escape))

    def is_null(self, value: Compiled) -> Compiled:
        return lambda get: value(get) is None

    def is_not_null(self, value: Compiled) -> Compiled:
        return lambda get: value(get) is not None

    def not_(self, operand: Compiled) -> Compiled:
        def evaluate(get: Getter) -> Any:
            found = operand(get)
            return None if found is None else not found

        return evaluate

    @v_args(inline=False)
    def and_(self, operands: list[Compiled]) -> Compiled:
        def evaluate(get: Getter) -> Any:
            unknown = False
            for operand in operands:  # FALSE wins at once; UNKNOWN only if nothing is FALSE
                found = operand(get)
                if found is False:
                    return False
                if found is not True:
                    unknown = True
            return None if unknown else True

        return evaluate

    @v_args(inline=False)
    def or_(self, operands: list[Compiled]) -> Compiled:
        def evaluate(get: Getter) -> Any:
            unknown = False
            for operand in operands:
                found = operand(get)
                if found is True:
                    return True
                if found is not False:
                    unknown = True
            return None if unknown else False

        return evaluate


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(_GRAMMAR, parser="lalr", maybe_placeholders=False)


class Selector:
    """One compiled selector; `matches(getter)` is TRUE only when the expression is TRUE."""

    __slots__ = ("_evaluate", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        try:
            tree = _parser().parse(text)
            compiled = _Compiler().transform(tree)
        except LarkError as error:
            cause = getattr(error, "orig_exc", None)
            if isinstance(cause, SelectorError):
                raise SelectorError(f"Invalid selector '{text}': {cause}") from None
            raise SelectorError(f"Invalid selector '{text}': {_first_line(error)}") from None
        except SelectorError:
            raise
        except ValueError as error:
            raise SelectorError(f"Invalid selector '{text}': {_first_line(error)}") from None
        if isinstance(compiled, Token):
            raise SelectorError(f"Invalid selector '{text}'")
        self._evaluate: Compiled = compiled

    def matches(self, get: Getter) -> bool:
        """Whether a message whose headers and properties `get` reads is selected."""
        return self._evaluate(get) is True


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def compile_selector(text: str | None) -> Selector | None:
    """A compiled selector, or None for an empty one (which selects everything)."""
    if text is None or not text.strip():
        return None
    return Selector(text)
