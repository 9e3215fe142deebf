"""Parsing and validating Amazon States Language definitions, with AWS-style diagnostics."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from . import intrinsics
from .jsonata_eval import JsonataSyntaxError, compile_expression, expression_text, is_expression
from .jsonpath import PathSyntaxError, compile_path
from .timestamps import parse_timestamp

STATE_TYPES = ("Task", "Wait", "Pass", "Succeed", "Fail", "Choice", "Parallel", "Map")
QUERY_LANGUAGES = ("JSONPath", "JSONata")

COMPARISON_OPERATORS = frozenset(
    f"{kind}{op}{suffix}"
    for kind, ops in (
        ("String", ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")),
        ("Numeric", ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")),
        ("Timestamp", ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")),
        ("Boolean", ("Equals",)),
    )
    for op in ops
    for suffix in ("", "Path")
) | {"StringMatches", "IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"}


@dataclass(slots=True)
class Diagnostic:
    """One problem found in a definition: AWS's code, where it is, and what is wrong."""

    code: str
    message: str
    location: str | None = None

    def as_dict(self) -> dict[str, str]:
        """The diagnostic in ValidateStateMachineDefinition's shape."""
        out = {"severity": "ERROR", "code": self.code, "message": self.message}
        if self.location is not None:
            out["location"] = self.location
        return out

    def sentence(self) -> str:
        """The diagnostic as CreateStateMachine words it inside InvalidDefinition."""
        where = f" at {self.location}" if self.location else ""
        return f"{self.code}: {self.message}{where}"


class DefinitionError(Exception):
    """A definition AWS rejects; carries every diagnostic."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The InvalidDefinition message CreateStateMachine returns."""
        parts = ", ".join(f"'{d.sentence()}'" for d in self.diagnostics)
        return f"Invalid State Machine Definition: {parts}"


def load_definition(text: str, machine_type: str = "STANDARD") -> dict[str, Any]:
    """Parse and validate a definition; returns the parsed document or raises DefinitionError."""
    diagnostics: list[Diagnostic] = []
    document = parse_json(text, diagnostics)
    if document is not None:
        Validator(machine_type, diagnostics).machine(document, "", None)
    if diagnostics:
        raise DefinitionError(diagnostics)
    return document


def parse_json(text: str, diagnostics: list[Diagnostic]) -> dict[str, Any] | None:
    """The definition's JSON object, or None with a diagnostic added."""
    if not isinstance(text, str) or not text.strip():
        diagnostics.append(
            Diagnostic("SCHEMA_VALIDATION_FAILED", "Definition must be a valid JSON object")
        )
        return None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        where = f'[Source: (String)"{text[:500]}"; line: {error.lineno}, column: {error.colno}]'
        token = text[error.pos : error.pos + 20].split()[0] if text[error.pos :].strip() else ""
        diagnostics.append(
            Diagnostic(
                "INVALID_JSON_DESCRIPTION",
                f"Unrecognized token '{token}': was expecting (JSON String, Number, Array, "
                f"Object or token 'null', 'true' or 'false')\n at {where}",
                where,
            )
        )
        return None
    if not isinstance(document, dict):
        diagnostics.append(
            Diagnostic("SCHEMA_VALIDATION_FAILED", "Definition must be a valid JSON object")
        )
        return None
    return document


class Validator:
    """Walks a definition and collects diagnostics (schema, transitions, paths, expressions)."""

    def __init__(self, machine_type: str, diagnostics: list[Diagnostic]) -> None:
        self.machine_type = machine_type
        self.diagnostics = diagnostics

    def fail(self, message: str, location: str, code: str = "SCHEMA_VALIDATION_FAILED") -> None:
        """Record one problem."""
        self.diagnostics.append(Diagnostic(code, message, location or "/"))

    # -- the machine and its states ---------------------------------------------------------
    def machine(self, doc: dict[str, Any], base: str, inherited: str | None) -> None:
        """Validate a state machine or a branch/processor (`base` is its JSON pointer)."""
        missing = [f for f in ("States", "StartAt") if f not in doc]
        if missing:
            self.fail(f"These fields are required: [{', '.join(missing)}]", base or "/")
            return
        language = doc.get("QueryLanguage", inherited or "JSONPath")
        if language not in QUERY_LANGUAGES:
            self.fail(
                "The field 'QueryLanguage' should have one of these values: [JSONPath, JSONata]",
                f"{base}/QueryLanguage",
            )
            return
        states = doc["States"]
        if not isinstance(states, dict) or not states:
            self.fail(
                "Value cannot be empty" if states == {} else "Expected an object", f"{base}/States"
            )
            return
        if not isinstance(doc["StartAt"], str):
            self.fail("Expected a string", f"{base}/StartAt")
        elif doc["StartAt"] not in states:
            self.fail(
                f"Missing 'Next' target: {doc['StartAt']}",
                f"{base}/StartAt",
                "MISSING_TRANSITION_TARGET",
            )
        if "TimeoutSeconds" in doc and not _positive_int(doc["TimeoutSeconds"]):
            self.fail("Expected a positive integer", f"{base}/TimeoutSeconds")
        for name, state in states.items():
            where = f"{base}/States/{name}"
            if len(name) > 80:
                self.fail("State name is too long (maximum 80 characters)", where)
            if not isinstance(state, dict):
                self.fail("Expected an object", where)
                continue
            self.state(name, state, where, states, language, doc.get("QueryLanguage") == "JSONata")

    def state(
        self,
        name: str,
        state: dict[str, Any],
        where: str,
        states: dict[str, Any],
        machine_language: str,
        machine_is_jsonata: bool,
    ) -> None:
        """Validate one state."""
        kind = state.get("Type")
        if kind is None:
            self.fail("These fields are required: [Type]", where)
            return
        if kind not in STATE_TYPES:
            self.fail(
                "The field 'Type' should have one of these values: "
                "[Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]",
                f"{where}/Type",
            )
            return
        language = state.get("QueryLanguage", machine_language)
        if language not in QUERY_LANGUAGES:
            self.fail(
                "The field 'QueryLanguage' should have one of these values: [JSONPath, JSONata]",
                f"{where}/QueryLanguage",
            )
            return
        if machine_is_jsonata and language == "JSONPath":
            self.fail(
                "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
                where,
            )
            return
        self.transitions(kind, state, where, states)
        if language == "JSONata":
            self.jsonata_fields(kind, state, where)
        else:
            self.jsonpath_fields(kind, state, where)
        if "Assign" in state:
            self.assign(state["Assign"], f"{where}/Assign", language)
        check = getattr(self, f"state_{kind.lower()}")
        check(name, state, where, states, language)

    def transitions(self, kind: str, state: dict[str, Any], where: str, states: dict) -> None:
        """Next/End rules and the existence of every target."""
        if kind in ("Choice", "Succeed", "Fail"):
            for field in ("Next", "End") if kind != "Choice" else ("End",):
                if field in state:
                    self.fail(
                        f"Field '{field}' is not supported by state type {kind}", f"{where}/{field}"
                    )
            return
        has_next, has_end = "Next" in state, state.get("End") is True
        if has_next and has_end:
            self.fail("Only one of 'Next' or 'End' may be present", where)
        elif not has_next and not has_end:
            self.fail("No terminal state found in machine", where, "MISSING_END_STATE")
        elif has_next:
            self.target(state["Next"], f"{where}/Next", states)

    def target(self, name: Any, where: str, states: dict) -> None:
        """A transition target that must name a state of this machine."""
        if not isinstance(name, str) or name not in states:
            self.fail(f"Missing 'Next' target: {name}", where, "MISSING_TRANSITION_TARGET")

    def jsonpath_fields(self, kind: str, state: dict[str, Any], where: str) -> None:
        """Paths and payload templates of a JSONPath state."""
        for field in ("Arguments", "Output"):
            if field in state:
                self.fail(
                    f"The field '{field}' is not supported when QueryLanguage is JSONPath",
                    f"{where}/{field}",
                )
        for field in ("InputPath", "OutputPath"):
            value = state.get(field)
            if field in state and value is not None:
                self.path(value, f"{where}/{field}")
        if "ResultPath" in state and state["ResultPath"] is not None:
            self.path(state["ResultPath"], f"{where}/ResultPath", definite=True)
        for field in ("Parameters", "ResultSelector", "ItemSelector"):
            if field in state:
                self.template(state[field], f"{where}/{field}")

    def jsonata_fields(self, kind: str, state: dict[str, Any], where: str) -> None:
        """JSONPath-only fields are rejected; `{% %}` expressions must parse."""
        for field in ("InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector"):
            if field in state:
                self.fail(
                    f"The field '{field}' is not supported when QueryLanguage is JSONata",
                    f"{where}/{field}",
                )
        for field in ("Arguments", "Output", "Items", "ItemSelector"):
            if field in state:
                self.expressions(state[field], f"{where}/{field}")

    def expressions(self, value: Any, where: str) -> None:
        """Every `{% %}` string inside `value` must be valid JSONata."""
        if isinstance(value, dict):
            for key, child in value.items():
                self.expressions(child, f"{where}/{key}")
        elif isinstance(value, list):
            for index, child in enumerate(value):
                self.expressions(child, f"{where}[{index}]")
        elif is_expression(value):
            try:
                compile_expression(expression_text(value))
            except JsonataSyntaxError as error:
                self.fail(f"The JSONata expression is not valid: {error}", where)

    def path(self, text: Any, where: str, *, definite: bool = False, context: bool = True) -> None:
        """A JSONPath field value (or a `$variable` reference where a path is read)."""
        if not definite and _is_variable(text):
            try:
                intrinsics._variable(text)
            except intrinsics.IntrinsicSyntaxError:
                self.fail(
                    f"The value for the field '{where.rsplit('/', 1)[-1]}' must be a valid JSONPath",
                    where,
                )
            return
        try:
            path = compile_path(text)
        except PathSyntaxError:
            self.fail(
                f"The value for the field '{where.rsplit('/', 1)[-1]}' must be a valid JSONPath",
                where,
            )
            return
        if definite and (path.context or not path.definite):
            self.fail(
                f"The value for the field '{where.rsplit('/', 1)[-1]}' must be a valid ReferencePath",
                where,
            )

    def template(self, value: Any, where: str) -> None:
        """A payload template: `.$` keys must hold a path, an intrinsic call or a variable."""
        if isinstance(value, dict):
            for key, child in value.items():
                if key.endswith(".$"):
                    self.dynamic(key, child, where)
                else:
                    self.template(
                        child, f"{where}/{key}" if isinstance(child, (dict, list)) else where
                    )
        elif isinstance(value, list):
            for child in value:
                self.template(child, where)

    def dynamic(self, key: str, value: Any, where: str) -> None:
        """One `.$` value."""
        message = f"The value for the field '{key}' must be a valid JSONPath or a valid intrinsic function call"
        if not isinstance(value, str):
            self.fail(message, where)
            return
        try:
            if intrinsics.is_intrinsic(value):
                intrinsics.parse(value)
            elif (
                value.startswith("$") and not value.startswith(("$.", "$[", "$$")) and value != "$"
            ):
                intrinsics._variable(value)
            else:
                compile_path(value)
        except (intrinsics.IntrinsicSyntaxError, PathSyntaxError):
            self.fail(message, where)

    def assign(self, value: Any, where: str, language: str) -> None:
        """Assign: an object of variable names."""
        if not isinstance(value, dict) and not (language == "JSONata" and is_expression(value)):
            self.fail("Expected an object", where)
            return
        if isinstance(value, dict):
            for name in value:
                bare = name[:-2] if language == "JSONPath" and name.endswith(".$") else name
                if (
                    not bare
                    or not (bare[0].isalpha() or bare[0] == "_")
                    or not all(c.isalnum() or c == "_" for c in bare)
                ):
                    self.fail(f"The variable name '{bare}' is not valid", f"{where}/{name}")
            if language == "JSONPath":
                self.template(value, where)
            else:
                self.expressions(value, where)

    def retry_catch(self, state: dict[str, Any], where: str, states: dict, language: str) -> None:
        """Retry and Catch blocks of Task, Parallel and Map."""
        for index, retrier in enumerate(state.get("Retry", []) or []):
            at = f"{where}/Retry[{index}]"
            if not isinstance(retrier, dict) or "ErrorEquals" not in retrier:
                self.fail("These fields are required: [ErrorEquals]", at)
                continue
            self.error_equals(retrier["ErrorEquals"], at)
            if "MaxAttempts" in retrier and not _non_negative_int(retrier["MaxAttempts"]):
                self.fail("Expected a non-negative integer", f"{at}/MaxAttempts")
            if "IntervalSeconds" in retrier and not _positive_int(retrier["IntervalSeconds"]):
                self.fail("Expected a positive integer", f"{at}/IntervalSeconds")
            if "BackoffRate" in retrier:
                rate = retrier["BackoffRate"]
                if isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate < 1:
                    self.fail("Expected a number greater than or equal to 1.0", f"{at}/BackoffRate")
            if "MaxDelaySeconds" in retrier and not _positive_int(retrier["MaxDelaySeconds"]):
                self.fail("Expected a positive integer", f"{at}/MaxDelaySeconds")
            if retrier.get("JitterStrategy", "NONE") not in ("FULL", "NONE"):
                self.fail(
                    "The field 'JitterStrategy' should have one of these values: [FULL, NONE]",
                    f"{at}/JitterStrategy",
                )
        for index, catcher in enumerate(state.get("Catch", []) or []):
            at = f"{where}/Catch[{index}]"
            if (
                not isinstance(catcher, dict)
                or "ErrorEquals" not in catcher
                or "Next" not in catcher
            ):
                self.fail("These fields are required: [ErrorEquals, Next]", at)
                continue
            self.error_equals(catcher["ErrorEquals"], at)
            self.target(catcher["Next"], f"{at}/Next", states)
            if language == "JSONPath" and catcher.get("ResultPath") is not None:
                self.path(catcher["ResultPath"], f"{at}/ResultPath", definite=True)
            if "Assign" in catcher:
                self.assign(catcher["Assign"], f"{at}/Assign", language)

    def error_equals(self, names: Any, where: str) -> None:
        """ErrorEquals: a non-empty list where States.ALL stands alone."""
        if not isinstance(names, list) or not names:
            self.fail("Value cannot be empty", f"{where}/ErrorEquals")
            return
        if "States.ALL" in names and len(names) > 1:
            self.fail(
                "Error names can not be specified with States.ALL",
                f"{where}/ErrorEquals",
            )

    # -- per state type ----------------------------------------------------------------------
    def state_pass(self, name: str, state: dict, where: str, states: dict, language: str) -> None:
        """Pass has nothing beyond the common fields."""

    def state_succeed(
        self, name: str, state: dict, where: str, states: dict, language: str
    ) -> None:
        """Succeed has nothing beyond the common fields."""

    def state_fail(self, name: str, state: dict, where: str, states: dict, language: str) -> None:
        """Fail: Error/ErrorPath and Cause/CausePath are exclusive pairs."""
        for plain, path in (("Error", "ErrorPath"), ("Cause", "CausePath")):
            if plain in state and path in state:
                self.fail(f"Only one of '{plain}' or '{path}' may be present", where)
            elif path in state:
                value = state[path]
                if not (isinstance(value, str) and intrinsics.is_intrinsic(value)):
                    self.path(value, f"{where}/{path}")

    def state_wait(self, name: str, state: dict, where: str, states: dict, language: str) -> None:
        """Wait: exactly one of Seconds, Timestamp, SecondsPath, TimestampPath."""
        given = [f for f in ("Seconds", "Timestamp", "SecondsPath", "TimestampPath") if f in state]
        if len(given) != 1:
            self.fail(
                "A Wait state must have exactly one of: Seconds, Timestamp, SecondsPath, TimestampPath",
                where,
            )
            return
        field = given[0]
        value = state[field]
        if language == "JSONata" and is_expression(value):
            return
        if field == "Seconds" and not _non_negative_int(value):
            self.fail("Expected a non-negative integer", f"{where}/Seconds")
        elif field == "Timestamp" and (
            not isinstance(value, str) or parse_timestamp(value) is None
        ):
            self.fail("String does not match RFC3339 timestamp", f"{where}/Timestamp")
        elif field.endswith("Path"):
            self.path(value, f"{where}/{field}")

    def state_task(self, name: str, state: dict, where: str, states: dict, language: str) -> None:
        """Task: a Resource, timeouts, and the express machine's limits."""
        resource = state.get("Resource")
        if not isinstance(resource, str):
            self.fail("These fields are required: [Resource]", where)
            return
        if self.machine_type == "EXPRESS":
            if resource.endswith(".waitForTaskToken"):
                self.fail(
                    "Express state machine does not support '.waitForTaskToken' service integration ",
                    f"{where}/Resource",
                )
            elif ".sync" in resource:
                self.fail(
                    "Express state machine does not support '.sync' service integration",
                    f"{where}/Resource",
                )
            elif ":activity:" in resource:
                self.fail(
                    "Express state machine does not support Activity ARN", f"{where}/Resource"
                )
        if not resource.startswith("arn:") or not _known_integration(resource):
            self.fail(
                f"The resource provided {resource} is not recognized. The value is not a valid "
                "resource ARN, or the resource is not available in this region.",
                f"{where}/Resource",
            )
        for plain, path in (
            ("TimeoutSeconds", "TimeoutSecondsPath"),
            ("HeartbeatSeconds", "HeartbeatSecondsPath"),
        ):
            if plain in state and path in state:
                self.fail(f"Only one of '{plain}' or '{path}' may be present", where)
            dynamic = language == "JSONata" and is_expression(state.get(plain))
            if plain in state and not dynamic and not _positive_int(state[plain]):
                self.fail("Expected a positive integer", f"{where}/{plain}")
        self.retry_catch(state, where, states, language)

    def state_choice(self, name: str, state: dict, where: str, states: dict, language: str) -> None:
        """Choice: rules with one operator each, targets that exist."""
        choices = state.get("Choices")
        if not isinstance(choices, list) or not choices:
            self.fail(
                "These fields are required: [Choices]"
                if choices is None
                else "Value cannot be empty",
                f"{where}/Choices",
            )
            return
        for index, rule in enumerate(choices):
            at = f"{where}/Choices[{index}]"
            if not isinstance(rule, dict):
                self.fail("Expected an object", at)
                continue
            if "Next" not in rule:
                self.fail("These fields are required: [Next]", at)
            else:
                self.target(rule["Next"], f"{at}/Next", states)
            if language == "JSONata":
                if "Condition" not in rule:
                    self.fail("These fields are required: [Condition]", at)
                if "Assign" in rule:
                    self.assign(rule["Assign"], f"{at}/Assign", language)
            else:
                self.rule(rule, at, top=True)
                if "Assign" in rule:
                    self.assign(rule["Assign"], f"{at}/Assign", language)
        if "Default" in state:
            self.target(state["Default"], f"{where}/Default", states)

    def rule(self, rule: dict[str, Any], where: str, top: bool = False) -> None:
        """One JSONPath choice rule (recursively for And/Or/Not)."""
        for combinator in ("And", "Or"):
            if combinator in rule:
                subs = rule[combinator]
                if not isinstance(subs, list) or not subs:
                    self.fail("Value cannot be empty", f"{where}/{combinator}")
                    return
                for i, sub in enumerate(subs):
                    self.rule(sub, f"{where}/{combinator}[{i}]")
                return
        if "Not" in rule:
            if isinstance(rule["Not"], dict):
                self.rule(rule["Not"], f"{where}/Not")
            else:
                self.fail("Expected an object", f"{where}/Not")
            return
        operators = [k for k in rule if k in COMPARISON_OPERATORS]
        if len(operators) != 1 or "Variable" not in rule:
            self.fail(
                "A choice rule must have a Variable and exactly one comparison operator", where
            )
            return
        self.path(rule["Variable"], f"{where}/Variable") if not _is_variable(
            rule["Variable"]
        ) else None
        operator = operators[0]
        value = rule[operator]
        if operator.endswith("Path"):
            if isinstance(value, str) and not _is_variable(value):
                self.path(value, f"{where}/{operator}")
        elif operator.startswith("Is") and not isinstance(value, bool):
            self.fail(
                f"The value for the field '{operator}' must be a boolean", f"{where}/{operator}"
            )

    def state_parallel(
        self, name: str, state: dict, where: str, states: dict, language: str
    ) -> None:
        """Parallel: each branch is a machine of its own."""
        branches = state.get("Branches")
        if not isinstance(branches, list) or not branches:
            self.fail("Value cannot be empty", f"{where}/Branches")
            return
        for index, branch in enumerate(branches):
            if not isinstance(branch, dict):
                self.fail("Expected an object", f"{where}/Branches[{index}]")
            else:
                self.machine(branch, f"{where}/Branches[{index}]", language)
        self.retry_catch(state, where, states, language)

    def state_map(self, name: str, state: dict, where: str, states: dict, language: str) -> None:
        """Map: an ItemProcessor (or legacy Iterator) and its settings."""
        processor = state.get("ItemProcessor", state.get("Iterator"))
        field = "ItemProcessor" if "ItemProcessor" in state else "Iterator"
        if not isinstance(processor, dict):
            self.fail("These fields are required: [ItemProcessor]", where)
            return
        self.machine(processor, f"{where}/{field}", language)
        if "ItemsPath" in state and language == "JSONPath":
            self.path(state["ItemsPath"], f"{where}/ItemsPath")
        concurrency = state.get("MaxConcurrency")
        dynamic = language == "JSONata" and is_expression(concurrency)
        if "MaxConcurrency" in state and not dynamic and not _non_negative_int(concurrency):
            self.fail("Expected a non-negative integer", f"{where}/MaxConcurrency")
        self.retry_catch(state, where, states, language)


#: Optimized integrations AWS offers for the services Pipework emulates (service → actions).
OPTIMIZED_ACTIONS = {
    "lambda": {"invoke"},
    "sqs": {"sendMessage"},
    "sns": {"publish"},
    "events": {"putEvents"},
    "states": {"startExecution"},
    "dynamodb": {"getItem", "putItem", "updateItem", "deleteItem"},
    "apigateway": {"invoke"},
}


def _known_integration(resource: str) -> bool:
    """False for an `arn:aws:states:::<service>:<action>` AWS does not offer for that service."""
    parts = resource.split(":")
    if len(parts) < 7 or parts[2] != "states" or parts[3] or parts[4] or parts[5] == "aws-sdk":
        return True
    action = parts[6]
    for suffix in (".waitForTaskToken", ".sync:2", ".sync"):
        if resource.endswith(suffix):
            action = ":".join(parts[6:])[: -len(suffix)]
            break
    known = OPTIMIZED_ACTIONS.get(parts[5])
    return known is None or action in known


def _is_variable(text: Any) -> bool:
    return (
        isinstance(text, str)
        and text.startswith("$")
        and not text.startswith(("$.", "$[", "$$"))
        and text != "$"
    )


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _non_negative_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
