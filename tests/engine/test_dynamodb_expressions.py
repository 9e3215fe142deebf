"""DynamoDB expression grammar: parsing, AWS's error messages and evaluation semantics."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import ServiceError
from engine.services.dynamodb.evaluate import apply_update, evaluate, project
from engine.services.dynamodb.nodes import Placeholders
from engine.services.dynamodb.parser import Parser, check_unused


def condition(text, values=None, names=None):
    return Parser(text, "ConditionExpression", Placeholders(names or {}, values or {})).condition()


def update(text, values=None, names=None):
    return Parser(text, "UpdateExpression", Placeholders(names or {}, values or {})).update()


def error_of(call):
    with pytest.raises(ServiceError) as caught:
        call()
    assert caught.value.code == "ValidationException"
    return caught.value.message


N = lambda v: {"N": str(v)}  # noqa: E731
S = lambda v: {"S": v}  # noqa: E731


def test_precedence_and_binds_tighter_than_or():
    node = condition("a = :x OR a = :y AND b = :y", {":x": N(1), ":y": N(2)})
    assert evaluate({"a": N(1), "b": N(3)}, node)


def test_not_binds_tighter_than_and():
    node = condition("NOT a = :x AND b = :x", {":x": N(1)})
    assert not evaluate({"a": N(2), "b": N(2)}, node)
    assert evaluate({"a": N(2), "b": N(1)}, node)


def test_between_in_and_functions():
    values = {":lo": N(1), ":hi": N(5), ":p": S("ab"), ":t": S("SS"), ":m": S("x")}
    node = condition(
        "n BETWEEN :lo AND :hi AND n IN (:lo, :hi) AND begins_with(s, :p) "
        "AND attribute_type(tags, :t) AND contains(tags, :m) AND size(s) > :lo",
        values,
    )
    assert evaluate({"n": N(5), "s": S("abc"), "tags": {"SS": ["x"]}}, node)


def test_nested_paths_with_names_and_indexes():
    node = condition("#o.lineItems[1].qty >= :q", {":q": N(2)}, {"#o": "order"})
    item = {"order": {"M": {"lineItems": {"L": [{"M": {}}, {"M": {"qty": N(3)}}]}}}}
    assert evaluate(item, node)


def test_missing_attribute_compares_false_except_not_equal():
    node = condition("a < :x", {":x": N(1)})
    assert not evaluate({}, node)
    assert evaluate({}, condition("a <> :x", {":x": N(1)}))


def test_syntax_error_names_token_and_neighbours():
    message = error_of(lambda: update("ADD hits : incr", {":incr": N(1)}))
    assert message.startswith('Invalid UpdateExpression: Syntax error; token: ":"')


def test_syntax_error_at_end_of_input():
    message = error_of(lambda: condition("a ="))
    assert message == 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "="'


def test_undefined_value_and_name():
    assert error_of(lambda: condition("a = :x")) == (
        "Invalid ConditionExpression: An expression attribute value used in expression is not "
        "defined; attribute value: :x"
    )
    assert error_of(lambda: condition("#a = :x", {":x": N(1)})) == (
        "Invalid ConditionExpression: An expression attribute name used in the document path is "
        "not defined; attribute name: #a"
    )


def test_unused_value_is_reported():
    found = Placeholders({}, {":x": N(1), ":y": N(2)})
    Parser("a = :x", "ConditionExpression", found).condition()
    assert error_of(lambda: check_unused(found)) == (
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:y}"
    )


def test_reserved_word_needs_placeholder():
    message = error_of(lambda: condition("status = :x", {":x": N(1)}))
    assert message.endswith("Attribute name is a reserved keyword; reserved keyword: status")


def test_unknown_function_and_wrong_arity():
    assert "Invalid function name; function: starts_with" in error_of(
        lambda: condition("starts_with(a, :x)", {":x": S("a")})
    )
    assert "number of operands: 1" in error_of(lambda: condition("begins_with(a)"))


def test_between_bounds_must_be_ordered():
    message = error_of(lambda: condition("a BETWEEN :hi AND :lo", {":lo": N(1), ":hi": N(5)}))
    assert "requires upper bound to be greater than or equal to lower bound" in message


def test_empty_expression():
    assert error_of(lambda: condition("  ")) == (
        "Invalid ConditionExpression: The expression can not be empty;"
    )


def test_overlapping_update_paths():
    message = error_of(lambda: update("SET a = :x, a.b = :x", {":x": N(1)}))
    assert "Two document paths overlap with each other" in message
    assert "path one: [a], path two: [a, b]" in message


def test_section_used_twice():
    message = error_of(lambda: update("SET a = :x SET b = :x", {":x": N(1)}))
    assert message == (
        'Invalid UpdateExpression: The "SET" section can only be used once in an update expression;'
    )


def test_update_actions_set_remove_add_delete():
    values = {":one": N(1), ":tag": {"SS": ["b"]}, ":more": {"L": [S("z")]}}
    actions = update(
        "SET l = list_append(l, :more), n = n - :one REMOVE gone, l2[0] ADD c :one DELETE tags :tag",
        values,
    )
    item = {
        "l": {"L": [S("y")]},
        "n": N(10),
        "gone": S("x"),
        "l2": {"L": [S("p"), S("q")]},
        "tags": {"SS": ["a", "b"]},
    }
    new = apply_update(item, actions)
    assert new == {
        "l": {"L": [S("y"), S("z")]},
        "n": N(9),
        "l2": {"L": [S("q")]},
        "tags": {"SS": ["a"]},
        "c": N(1),
    }
    assert item["n"] == N(10)  # the original is untouched


def test_arithmetic_on_string_is_rejected():
    actions = update("SET a = a + :one", {":one": N(1)})
    message = error_of(lambda: apply_update({"a": S("x")}, actions))
    assert message == "An operand in the update expression has an incorrect data type"


def test_set_into_missing_map_is_invalid_path():
    actions = update("SET m.x = :one", {":one": N(1)})
    message = error_of(lambda: apply_update({}, actions))
    assert message == "The document path provided in the update expression is invalid for update"


def test_projection_keeps_nesting():
    paths = Parser("a.b, l[1]", "ProjectionExpression", Placeholders({}, {})).projection()
    item = {"a": {"M": {"b": N(1), "c": N(2)}}, "l": {"L": [N(0), N(1)]}, "z": N(9)}
    assert project(item, paths) == {"a": {"M": {"b": N(1)}}, "l": {"L": [N(1)]}}


numbers = st.decimals(min_value=-(10**9), max_value=10**9, places=3, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(start=st.one_of(st.none(), numbers), steps=st.lists(numbers, max_size=6))
def test_add_and_set_arithmetic_match_a_decimal_model(start, steps):
    item = {} if start is None else {"n": {"N": str(start)}}
    model = Decimal(0) if start is None else Decimal(start)
    for i, step in enumerate(steps):
        values = {":v": {"N": str(step)}}
        if i % 2:
            actions = update("ADD n :v", values)
            model = model + step
        else:
            actions = update("SET n = if_not_exists(n, :v) - :v", values)
            model = (model if "n" in item else Decimal(step)) - step
        item = apply_update(item, actions)
    if steps:
        assert Decimal(item["n"]["N"]) == model


names = st.sampled_from(["a", "b", "c"])
ops = st.sampled_from(["=", "<>", "<", "<=", ">", ">="])


@st.composite
def conditions(draw, depth=0):
    if depth > 2 or draw(st.booleans()):
        return f"{draw(names)} {draw(ops)} :v{draw(st.integers(0, 2))}"
    kind = draw(st.sampled_from(["AND", "OR", "NOT", "()"]))
    left = draw(conditions(depth + 1))
    if kind == "NOT":
        return f"NOT {left}"
    if kind == "()":
        return f"({left})"
    return f"{left} {kind} {draw(conditions(depth + 1))}"


def python_eval(text, item, values):
    """A reference evaluator: Python's own precedence (not > and > or) matches DynamoDB's."""
    import re

    def compare(match):
        name, op, value = match.group(1), match.group(2), match.group(3)
        a = item.get(name)
        b = values[value]
        py = {"=": "==", "<>": "!="}.get(op, op)
        return str(eval(f"{a!r} {py} {b!r}"))

    expression = re.sub(r"(\w+) (<>|<=|>=|=|<|>) (:v\d)", compare, text)
    return eval(expression.replace("AND", "and").replace("OR", "or").replace("NOT", "not"))


@settings(max_examples=120, deadline=None)
@given(
    text=conditions(),
    item=st.fixed_dictionaries(
        {"a": st.integers(0, 2), "b": st.integers(0, 2), "c": st.integers(0, 2)}
    ),
)
def test_condition_grammar_matches_reference_precedence(text, item):
    values = {f":v{i}": {"N": str(i)} for i in range(3)}
    node = condition(text, values)
    stored = {k: {"N": str(v)} for k, v in item.items()}
    plain = {f":v{i}": i for i in range(3)}
    assert evaluate(stored, node) == python_eval(text, item, plain)


def test_remove_below_a_scalar_is_invalid_path():
    actions = update("REMOVE m.x.y")
    message = error_of(lambda: apply_update({"m": {"M": {"x": S("y")}}}, actions))
    assert message == "The document path provided in the update expression is invalid for update"
