"""A recursive-descent parser for DynamoDB expressions, with AWS's ValidationException messages.

Precedence follows the Developer Guide: comparators bind tightest, then IN, BETWEEN and the
functions, then parentheses, NOT, AND and finally OR.
"""

from __future__ import annotations

from typing import Any

from engine.errors import ServiceError

from .lexer import BAD, EOF, INDEX, NAME, NAME_REF, PUNCT, VALUE_REF, Token, tokenize
from .nodes import (
    And,
    Arithmetic,
    Between,
    Compare,
    Function,
    IfNotExists,
    In,
    ListAppend,
    Not,
    Or,
    Path,
    Placeholders,
    Size,
    UpdateAction,
    Value,
)
from .reserved import is_reserved
from .values import show_value, sort_value, type_of

COMPARATORS = ("=", "<>", "<", "<=", ">", ">=")
CONDITION_FUNCTIONS = {
    "attribute_exists": 1,
    "attribute_not_exists": 1,
    "attribute_type": 2,
    "begins_with": 2,
    "contains": 2,
}
UPDATE_FUNCTIONS = {"list_append": 2, "if_not_exists": 2}
VERBS = ("SET", "REMOVE", "ADD", "DELETE")
MAX_IN_OPERANDS = 100


class _Syntax(Exception):
    """Raised inside the parser at the token where the grammar stopped fitting."""

    def __init__(self, index: int) -> None:
        self.index = index


class Parser:
    """Parses one expression of one kind (ConditionExpression, UpdateExpression …)."""

    def __init__(self, text: str, kind: str, placeholders: Placeholders) -> None:
        self.text = text
        self.kind = kind
        self.placeholders = placeholders
        self.tokens = tokenize(text)
        self.pos = 0
        # Errors found while the syntax still fits; AWS reports syntax errors first.
        self.deferred: list[ServiceError] = []

    # -- entry points ---------------------------------------------------------------------
    def condition(self) -> Any:
        """Parse a condition (ConditionExpression, FilterExpression, KeyConditionExpression)."""
        return self._run(self._condition_to_end)

    def update(self) -> list[UpdateAction]:
        """Parse an UpdateExpression into its actions, in order."""
        return self._run(self._update_to_end)

    def projection(self) -> list[Path]:
        """Parse a ProjectionExpression into its paths."""
        return self._run(self._projection_to_end)

    def _run(self, parse: Any) -> Any:
        if not self.text.strip():
            raise self.error("The expression can not be empty;")
        try:
            result = parse()
        except _Syntax as stop:
            raise self._syntax_error(stop.index) from None
        if self.deferred:
            raise self.deferred[0]
        return result

    # -- errors ---------------------------------------------------------------------------
    def error(self, detail: str) -> ServiceError:
        """A ValidationException prefixed the way AWS prefixes expression errors."""
        return ServiceError("ValidationException", f"Invalid {self.kind}: {detail}")

    def _syntax_error(self, index: int) -> ServiceError:
        tokens = self.tokens
        token = tokens[index]
        first = tokens[index - 1] if index > 0 else token
        last = tokens[index + 1] if index + 1 < len(tokens) - 1 else token
        near = self.text[first.start : max(last.end, token.end)]
        return self.error(f'Syntax error; token: "{token.text}", near: "{near}"')

    # -- token helpers -----------------------------------------------------------------------
    def _peek(self, offset: int = 0) -> Token:
        index = self.pos + offset
        tokens = self.tokens
        return tokens[index] if index < len(tokens) else tokens[-1]

    def _next(self) -> Token:
        token = self.tokens[self.pos]
        if token.kind == BAD:
            raise _Syntax(self.pos)
        if token.kind != EOF:
            self.pos += 1
        return token

    def _fail(self) -> _Syntax:
        return _Syntax(self.pos)

    def _is_punct(self, text: str, offset: int = 0) -> bool:
        token = self._peek(offset)
        return token.kind == PUNCT and token.text == text

    def _is_word(self, word: str) -> bool:
        token = self._peek()
        return token.kind == NAME and token.text.upper() == word

    def _expect_punct(self, text: str) -> None:
        if not self._is_punct(text):
            raise self._fail()
        self.pos += 1

    def _expect_end(self) -> None:
        if self._peek().kind != EOF:
            raise self._fail()

    # -- conditions -------------------------------------------------------------------------
    def _condition_to_end(self) -> Any:
        node = self._or()
        self._expect_end()
        return node

    def _or(self) -> Any:
        node = self._and()
        while self._is_word("OR"):
            self.pos += 1
            node = Or(node, self._and())
        return node

    def _and(self) -> Any:
        node = self._not()
        while self._is_word("AND"):
            self.pos += 1
            node = And(node, self._not())
        return node

    def _not(self) -> Any:
        if self._is_word("NOT"):
            self.pos += 1
            return Not(self._not())
        return self._primary_condition()

    def _primary_condition(self) -> Any:
        if self._is_punct("("):
            self.pos += 1
            node = self._or()
            self._expect_punct(")")
            return node
        token = self._peek()
        if token.kind == NAME and self._is_punct("(", 1):
            name = token.text
            if name in CONDITION_FUNCTIONS:
                function = self._condition_function()
                if self._peek().kind == PUNCT and self._peek().text in COMPARATORS:
                    raise self.error(
                        "The function is not allowed to be used this way in an expression; "
                        f"function: {name}"
                    )
                return function
        left = self._operand()
        token = self._peek()
        if token.kind == PUNCT and token.text in COMPARATORS:
            self.pos += 1
            return Compare(token.text, left, self._comparison_operand())
        if self._is_word("BETWEEN"):
            self.pos += 1
            low = self._comparison_operand()
            if not self._is_word("AND"):
                raise self._fail()
            self.pos += 1
            high = self._comparison_operand()
            self._check_between(low, high)
            return Between(left, low, high)
        if self._is_word("IN"):
            self.pos += 1
            self._expect_punct("(")
            choices = [self._comparison_operand()]
            while self._is_punct(","):
                self.pos += 1
                choices.append(self._comparison_operand())
            self._expect_punct(")")
            if len(choices) > MAX_IN_OPERANDS:
                raise self.error(
                    "The IN operator is provided with too many operands; "
                    f"number of operands: {len(choices)}"
                )
            return In(left, tuple(choices))
        if isinstance(left, Size) and token.kind == EOF:
            raise self.error(
                "The function is not allowed to be used this way in an expression; function: size"
            )
        raise self._fail()

    def _comparison_operand(self) -> Any:
        token = self._peek()
        if token.kind == NAME and self._is_punct("(", 1) and token.text in CONDITION_FUNCTIONS:
            raise self.error(
                "The function is not allowed to be used this way in an expression; "
                f"function: {token.text}"
            )
        return self._operand()

    def _check_between(self, low: Any, high: Any) -> None:
        if not (isinstance(low, Value) and isinstance(high, Value)):
            return
        a, b = low.value, high.value
        if a is None or b is None or type_of(a) != type_of(b) or type_of(a) not in "SNB":
            return
        if sort_value(a) > sort_value(b):
            raise self.error(
                "The BETWEEN operator requires upper bound to be greater than or equal to lower "
                f"bound; lower bound operand: AttributeValue: {show_value(a)}, "
                f"upper bound operand: AttributeValue: {show_value(b)}"
            )

    def _condition_function(self) -> Function:
        token = self._next()
        name = token.text
        args = self._arguments()
        expected = CONDITION_FUNCTIONS[name]
        if len(args) != expected:
            raise self.error(
                "Incorrect number of operands for operator or function; "
                f"operator or function: {name}, number of operands: {len(args)}"
            )
        if name in ("attribute_exists", "attribute_not_exists") and not isinstance(args[0], Path):
            raise self.error(
                f"Operator or function requires a document path; operator or function: {name}"
            )
        if name == "begins_with":
            for arg in args:
                if isinstance(arg, Value) and arg.value is not None:
                    kind = type_of(arg.value)
                    if kind not in ("S", "B"):
                        raise self.error(
                            "Incorrect operand type for operator or function; "
                            f"operator or function: {name}, operand type: {kind}"
                        )
        if name == "attribute_type":
            type_arg = args[1]
            if not isinstance(type_arg, Value):
                raise self.error(
                    "Incorrect operand type for operator or function; "
                    f"operator or function: {name}, operand type: PATH"
                )
        return Function(name, tuple(args))

    def _arguments(self) -> list[Any]:
        self._expect_punct("(")
        args = [self._comparison_operand()]
        while self._is_punct(","):
            self.pos += 1
            args.append(self._comparison_operand())
        self._expect_punct(")")
        return args

    # -- operands ------------------------------------------------------------------------------
    def _operand(self) -> Any:
        token = self._peek()
        if token.kind == VALUE_REF:
            self.pos += 1
            return self._value(token)
        if token.kind == NAME and self._is_punct("(", 1):
            if token.text == "size":
                self.pos += 1
                args = self._arguments()
                if len(args) != 1:
                    raise self.error(
                        "Incorrect number of operands for operator or function; "
                        f"operator or function: size, number of operands: {len(args)}"
                    )
                if not isinstance(args[0], Path):
                    raise self.error(
                        "Operator or function requires a document path; operator or function: size"
                    )
                return Size(args[0])
            if token.text in UPDATE_FUNCTIONS or token.text in CONDITION_FUNCTIONS:
                raise self.error(
                    "The function is not allowed to be used this way in an expression; "
                    f"function: {token.text}"
                )
            raise self.error(f"Invalid function name; function: {token.text}")
        return self._path()

    def _value(self, token: Token) -> Value:
        name = token.text
        values = self.placeholders.values
        if name not in values:
            self.deferred.append(
                self.error(
                    "An expression attribute value used in expression is not defined; "
                    f"attribute value: {name}"
                )
            )
            return Value(name, None)  # type: ignore[arg-type]
        self.placeholders.used_values.add(name)
        return Value(name, values[name])

    def _path(self) -> Path:
        elements: list[str | int] = [self._path_name()]
        while True:
            if self._is_punct("."):
                self.pos += 1
                elements.append(self._path_name())
            elif self._is_punct("["):
                self.pos += 1
                token = self._peek()
                if token.kind != INDEX:
                    raise self._fail()
                self.pos += 1
                self._expect_punct("]")
                elements.append(int(token.text))
            else:
                return Path(tuple(elements))

    def _path_name(self) -> str:
        token = self._peek()
        if token.kind == NAME_REF:
            self.pos += 1
            names = self.placeholders.names
            if token.text not in names:
                self.deferred.append(
                    self.error(
                        "An expression attribute name used in the document path is not defined; "
                        f"attribute name: {token.text}"
                    )
                )
                return token.text
            self.placeholders.used_names.add(token.text)
            return names[token.text]
        if token.kind == NAME:
            if token.text.upper() in ("AND", "OR", "NOT", "BETWEEN", "IN"):
                raise self._fail()
            self.pos += 1
            if is_reserved(token.text):
                self.deferred.append(
                    self.error(
                        f"Attribute name is a reserved keyword; reserved keyword: {token.text}"
                    )
                )
            return token.text
        raise self._fail()

    # -- update expressions --------------------------------------------------------------------
    def _update_to_end(self) -> list[UpdateAction]:
        actions: list[UpdateAction] = []
        seen: set[str] = set()
        while self._peek().kind != EOF:
            token = self._peek()
            verb = token.text.upper() if token.kind == NAME else ""
            if verb not in VERBS:
                raise self._fail()
            if verb in seen:
                raise self.error(
                    f'The "{verb}" section can only be used once in an update expression;'
                )
            seen.add(verb)
            self.pos += 1
            while True:
                actions.append(self._update_action(verb))
                if not self._is_punct(","):
                    break
                self.pos += 1
        self._check_overlaps(actions)
        return actions

    def _update_action(self, verb: str) -> UpdateAction:
        path = self._path()
        if verb == "SET":
            self._expect_punct("=")
            return UpdateAction(verb, path, self._set_value())
        if verb == "REMOVE":
            return UpdateAction(verb, path)
        token = self._peek()
        if token.kind != VALUE_REF:
            raise self._fail()
        self.pos += 1
        return UpdateAction(verb, path, self._value(token))

    def _set_value(self) -> Any:
        left = self._set_operand()
        token = self._peek()
        if token.kind == PUNCT and token.text in ("+", "-"):
            self.pos += 1
            return Arithmetic(token.text, left, self._set_operand())
        return left

    def _set_operand(self) -> Any:
        token = self._peek()
        if token.kind == NAME and self._is_punct("(", 1):
            name = token.text
            if name not in UPDATE_FUNCTIONS:
                if name in CONDITION_FUNCTIONS or name == "size":
                    raise self.error(
                        f"The function is not allowed in an update expression; function: {name}"
                    )
                raise self.error(f"Invalid function name; function: {name}")
            self.pos += 1
            self._expect_punct("(")
            args = [self._set_value_inner()]
            while self._is_punct(","):
                self.pos += 1
                args.append(self._set_value_inner())
            self._expect_punct(")")
            if len(args) != 2:
                raise self.error(
                    "Incorrect number of operands for operator or function; "
                    f"operator or function: {name}, number of operands: {len(args)}"
                )
            if name == "list_append":
                return ListAppend(args[0], args[1])
            if not isinstance(args[0], Path):
                raise self.error(
                    "Operator or function requires a document path; "
                    "operator or function: if_not_exists"
                )
            return IfNotExists(args[0], args[1])
        if token.kind == VALUE_REF:
            self.pos += 1
            return self._value(token)
        return self._path()

    def _set_value_inner(self) -> Any:
        return self._set_operand()

    def _check_overlaps(self, actions: list[UpdateAction]) -> None:
        paths = [action.path for action in actions]
        for i, first in enumerate(paths):
            for second in paths[i + 1 :]:
                shorter = min(len(first.elements), len(second.elements))
                if first.elements[:shorter] == second.elements[:shorter]:
                    raise self.error(
                        "Two document paths overlap with each other; must remove or rewrite one "
                        f"of these paths; path one: {first.shown()}, path two: {second.shown()}"
                    )

    # -- projections ---------------------------------------------------------------------------
    def _projection_to_end(self) -> list[Path]:
        paths = [self._path()]
        while self._is_punct(","):
            self.pos += 1
            paths.append(self._path())
        self._expect_end()
        for i, first in enumerate(paths):
            for second in paths[i + 1 :]:
                shorter = min(len(first.elements), len(second.elements))
                if first.elements[:shorter] == second.elements[:shorter]:
                    raise self.error(
                        "Two document paths overlap with each other; must remove or rewrite one "
                        f"of these paths; path one: {first.shown()}, path two: {second.shown()}"
                    )
        return paths


def check_unused(placeholders: Placeholders) -> None:
    """AWS rejects #names and :values that no expression of the request used."""
    unused_values = [k for k in placeholders.values if k not in placeholders.used_values]
    if unused_values:
        raise ServiceError(
            "ValidationException",
            "Value provided in ExpressionAttributeValues unused in expressions: "
            f"keys: {{{', '.join(unused_values)}}}",
        )
    unused_names = [k for k in placeholders.names if k not in placeholders.used_names]
    if unused_names:
        raise ServiceError(
            "ValidationException",
            "Value provided in ExpressionAttributeNames unused in expressions: "
            f"keys: {{{', '.join(unused_names)}}}",
        )
