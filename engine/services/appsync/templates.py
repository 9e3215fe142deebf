"""AppSync's VTL mapping templates: API Gateway's Velocity engine with AppSync's `$util` surface.

`$util` extends API Gateway's `UtilVariable` (escaping, JSON, URL and base64 helpers) with what the
AppSync resolver reference documents: `$util.error`/`appendError`/`unauthorized`/`validate`, type
checks, `autoId`, `$util.time`, `$util.dynamodb`, `$util.transform`, `$util.str`, `$util.math`,
`$util.list`, `$util.map`, `$util.log`; plus `#return`, `$extensions` and `$ctx.stash`.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import airspeed

from engine.errors import ServiceError
from engine.services.apigateway.vtl import Templates, UtilVariable

from .filters import subscription_filter, to_filter_expression
from .models import bad_request

if TYPE_CHECKING:
    from .service import AppSyncService

_BARE_RETURN = re.compile(r"#return\b(?!\s*\()")


class ResolverError(Exception):
    """`$util.error` (or a failing data source): the field resolves to null with this error."""

    def __init__(
        self, message: str, error_type: str | None = None, data: Any = None, info: Any = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.error_type = error_type
        self.data = data
        self.info = info

    def as_graphql(self) -> dict[str, Any]:
        """The `errors[]` members AppSync adds for this error."""
        return {
            "errorType": self.error_type,
            "data": self.data,
            "errorInfo": self.info,
            "message": self.message,
        }


class Unauthorized(ResolverError):
    """`$util.unauthorized()`."""

    def __init__(self, field: str = "", type_name: str = "") -> None:
        super().__init__(
            f"Not Authorized to access {field} on type {type_name}".strip(), "Unauthorized"
        )


class _Returned(Exception):
    def __init__(self, value: Any) -> None:
        super().__init__("#return")
        self.value = value


class _ReturnMacro:
    """`#return` / `#return(value)`: stop the template and make `value` the result."""

    def execute_function(self, stream: Any, namespace: Any, args: list, loader: Any) -> None:
        raise _Returned(args[0] if args else None)


def typed(value: Any) -> dict[str, Any]:
    """A value in DynamoDB's typed form ({"S": …}, {"N": …}, {"M": …} …)."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, (int, float, Decimal)):
        return {"N": _number_text(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, dict):
        return {"M": {k: typed(v) for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        return {"L": [typed(v) for v in value]}
    if isinstance(value, set):
        items = list(value)
        if items and all(isinstance(i, str) for i in items):
            return {"SS": items}
        return {"NS": [_number_text(i) for i in items]}
    return {"S": str(value)}


def _number_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def untyped(value: dict[str, Any]) -> Any:
    """A DynamoDB typed value as plain JSON (what `$ctx.result` holds)."""
    (kind, inner), *_ = value.items()
    if kind == "S" or kind == "B":
        return inner
    if kind == "N":
        number = Decimal(inner)
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "BOOL":
        return inner
    if kind == "NULL":
        return None
    if kind == "M":
        return {k: untyped(v) for k, v in inner.items()}
    if kind == "L":
        return [untyped(v) for v in inner]
    if kind == "SS" or kind == "BS":
        return list(inner)
    if kind == "NS":
        return [untyped({"N": n}) for n in inner]
    return inner


def untyped_item(item: dict[str, Any] | None) -> dict[str, Any] | None:
    """A DynamoDB item as plain JSON."""
    return None if item is None else {k: untyped(v) for k, v in item.items()}


class DynamoDbUtil:
    """`$util.dynamodb`: plain values to DynamoDB's typed form."""

    def toDynamoDB(self, value: Any) -> dict:  # noqa: N802 - AppSync's names
        """A typed value."""
        return typed(value)

    def toDynamoDBJson(self, value: Any) -> str:  # noqa: N802
        """A typed value as JSON text."""
        return json.dumps(typed(value))

    def toString(self, value: Any) -> dict:  # noqa: N802
        """A string attribute."""
        return {"S": str(value)}

    def toStringJson(self, value: Any) -> str:  # noqa: N802
        """A string attribute as JSON text."""
        return json.dumps({"S": str(value)})

    def toNumber(self, value: Any) -> dict:  # noqa: N802
        """A number attribute."""
        return {"N": _number_text(value)}

    def toNumberJson(self, value: Any) -> str:  # noqa: N802
        """A number attribute as JSON text."""
        return json.dumps(self.toNumber(value))

    def toBoolean(self, value: Any) -> dict:  # noqa: N802
        """A boolean attribute."""
        return {"BOOL": bool(value)}

    def toBooleanJson(self, value: Any) -> str:  # noqa: N802
        """A boolean attribute as JSON text."""
        return json.dumps(self.toBoolean(value))

    def toNull(self) -> dict:  # noqa: N802
        """A null attribute."""
        return {"NULL": True}

    def toNullJson(self) -> str:  # noqa: N802
        """A null attribute as JSON text."""
        return json.dumps({"NULL": True})

    def toList(self, value: list) -> dict:  # noqa: N802
        """A list attribute."""
        return {"L": [typed(v) for v in value]}

    def toListJson(self, value: list) -> str:  # noqa: N802
        """A list attribute as JSON text."""
        return json.dumps(self.toList(value))

    def toMap(self, value: dict) -> dict:  # noqa: N802
        """A map attribute."""
        return {"M": {k: typed(v) for k, v in value.items()}}

    def toMapJson(self, value: dict) -> str:  # noqa: N802
        """A map attribute as JSON text."""
        return json.dumps(self.toMap(value))

    def toMapValues(self, value: dict) -> dict:  # noqa: N802
        """A map whose values are typed (an item's attributes)."""
        return {k: typed(v) for k, v in value.items()}

    def toMapValuesJson(self, value: dict) -> str:  # noqa: N802
        """A map of typed values as JSON text."""
        return json.dumps(self.toMapValues(value))

    def toStringSet(self, value: list) -> dict:  # noqa: N802
        """A string set attribute."""
        return {"SS": [str(v) for v in value]}

    def toStringSetJson(self, value: list) -> str:  # noqa: N802
        """A string set attribute as JSON text."""
        return json.dumps(self.toStringSet(value))

    def toNumberSet(self, value: list) -> dict:  # noqa: N802
        """A number set attribute."""
        return {"NS": [_number_text(v) for v in value]}

    def toNumberSetJson(self, value: list) -> str:  # noqa: N802
        """A number set attribute as JSON text."""
        return json.dumps(self.toNumberSet(value))


class TimeUtil:
    """`$util.time`, on the lab clock."""

    def __init__(self, clock: Any) -> None:
        self._clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock.now(), UTC)

    def nowISO8601(self) -> str:  # noqa: N802
        """Now, as ISO 8601 in UTC with milliseconds."""
        return (
            self._now().strftime("%Y-%m-%dT%H:%M:%S.") + f"{self._now().microsecond // 1000:03d}Z"
        )

    def nowEpochSeconds(self) -> int:  # noqa: N802
        """Now, in epoch seconds."""
        return int(self._clock.now())

    def nowEpochMilliSeconds(self) -> int:  # noqa: N802
        """Now, in epoch milliseconds."""
        return int(self._clock.now() * 1000)

    def nowFormatted(self, pattern: str, zone: str = "UTC") -> str:  # noqa: N802
        """Now, formatted with a Java-style pattern (the common letters)."""
        return _java_format(self._now(), pattern)

    def parseISO8601ToEpochMilliSeconds(self, text: str) -> int:  # noqa: N802
        """An ISO 8601 time in epoch milliseconds."""
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)

    def epochMilliSecondsToSeconds(self, millis: int) -> int:  # noqa: N802
        """Milliseconds to seconds."""
        return int(millis) // 1000

    def epochMilliSecondsToISO8601(self, millis: int) -> str:  # noqa: N802
        """Epoch milliseconds as ISO 8601 in UTC."""
        moment = datetime.fromtimestamp(int(millis) / 1000, UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

    def epochMilliSecondsToFormatted(self, millis: int, pattern: str, zone: str = "UTC") -> str:  # noqa: N802
        """Epoch milliseconds formatted with a Java-style pattern."""
        return _java_format(datetime.fromtimestamp(int(millis) / 1000, UTC), pattern)


def _java_format(moment: datetime, pattern: str) -> str:
    table = [
        ("yyyy", "%Y"),
        ("MM", "%m"),
        ("dd", "%d"),
        ("HH", "%H"),
        ("mm", "%M"),
        ("ss", "%S"),
        ("Z", "+0000"),
    ]
    out = pattern.replace("'", "")
    for java, python in table:
        out = out.replace(java, python)
    return moment.strftime(out)


class TransformUtil:
    """`$util.transform`: filter objects to DynamoDB expressions and subscription filters."""

    def toDynamoDBFilterExpression(self, value: dict) -> str:  # noqa: N802
        """A GraphQL filter input as a DynamoDB filter expression (JSON text)."""
        return json.dumps(to_filter_expression(value))

    def toDynamoDBConditionExpression(self, value: dict) -> str:  # noqa: N802
        """A GraphQL filter input as a DynamoDB condition expression (JSON text)."""
        return json.dumps(to_filter_expression(value))

    def toSubscriptionFilter(  # noqa: N802
        self, value: dict, ignored: list | None = None, rules: dict | None = None
    ) -> dict:
        """A filter input as an enhanced subscription filter object."""
        return subscription_filter(value, ignored or [])


class StrUtil:
    """`$util.str`."""

    def toUpper(self, text: str) -> str:  # noqa: N802
        return str(text).upper()

    def toLower(self, text: str) -> str:  # noqa: N802
        return str(text).lower()

    def toReplace(self, text: str, old: str, new: str) -> str:  # noqa: N802
        return str(text).replace(old, new)

    def normalize(self, text: str, form: str = "nfc") -> str:
        import unicodedata

        return unicodedata.normalize(form.upper(), str(text))


class MathUtil:
    """`$util.math`."""

    def __init__(self, ids: Any) -> None:
        self._ids = ids

    def roundNum(self, value: float) -> int:  # noqa: N802
        return round(value)

    def minVal(self, a: float, b: float) -> float:  # noqa: N802
        return min(a, b)

    def maxVal(self, a: float, b: float) -> float:  # noqa: N802
        return max(a, b)

    def randomDouble(self) -> float:  # noqa: N802
        return self._ids.random()

    def randomWithinRange(self, low: int, high: int) -> int:  # noqa: N802
        return int(low + self._ids.random() * (high - low))


class ListUtil:
    """`$util.list`."""

    def copyAndRetainAll(self, items: list, keep: list) -> list:  # noqa: N802
        return [i for i in items if i in keep]

    def copyAndRemoveAll(self, items: list, drop: list) -> list:  # noqa: N802
        return [i for i in items if i not in drop]

    def sortList(self, items: list, descending: bool, key: str = "") -> list:  # noqa: N802
        if key:
            return sorted(items, key=lambda i: i.get(key), reverse=bool(descending))
        return sorted(items, reverse=bool(descending))


class MapUtil:
    """`$util.map`."""

    def copyAndRetainAllKeys(self, value: dict, keys: list) -> dict:  # noqa: N802
        return {k: v for k, v in value.items() if k in keys}

    def copyAndRemoveAllKeys(self, value: dict, keys: list) -> dict:  # noqa: N802
        return {k: v for k, v in value.items() if k not in keys}


class LogUtil:
    """`$util.log`: lines the playground returns as `logs`."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, *values: Any) -> str:
        self.lines.append(" ".join(_text(v) for v in values))
        return ""

    def error(self, *values: Any) -> str:
        self.lines.append(" ".join(_text(v) for v in values))
        return ""


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


class Extensions:
    """`$extensions`: enhanced subscription filters and invalidation requested by a resolver."""

    def __init__(self) -> None:
        self.filter: Any = None
        self.invalidation_filter: Any = None
        self.invalidation: Any = None

    def setSubscriptionFilter(self, value: Any) -> str:  # noqa: N802
        self.filter = json.loads(value) if isinstance(value, str) else value
        return ""

    def setSubscriptionInvalidationFilter(self, value: Any) -> str:  # noqa: N802
        self.invalidation_filter = json.loads(value) if isinstance(value, str) else value
        return ""

    def invalidateSubscriptions(self, value: Any) -> str:  # noqa: N802
        self.invalidation = json.loads(value) if isinstance(value, str) else value
        return ""


class AppSyncUtil(UtilVariable):
    """`$util` for AppSync resolvers (one per render: `appendError` and `log` collect here)."""

    def __init__(self, service: AppSyncService, statics: dict[str, Any]) -> None:
        self._ids = service.ids
        self.errors: list[dict[str, Any]] = []
        self.log = LogUtil()
        self.dynamodb = statics["dynamodb"]
        self.time = statics["time"]
        self.transform = statics["transform"]
        self.str = statics["str"]
        self.math = statics["math"]
        self.list = statics["list"]
        self.map = statics["map"]

    def qr(self, *_values: Any) -> str:
        """Run an expression for its effect; print nothing."""
        return ""

    quiet = qr

    def toJson(self, value: Any) -> str:  # noqa: N802
        """A value as JSON text."""
        return json.dumps(value, default=_jsonable)

    def error(
        self, message: str, error_type: str | None = None, data: Any = None, info: Any = None
    ) -> None:
        """Fail the field with this error."""
        raise ResolverError(str(message), error_type, data, info)

    def appendError(  # noqa: N802
        self, message: str, error_type: str | None = None, data: Any = None, info: Any = None
    ) -> str:
        """Add an error to the response and go on."""
        self.errors.append(ResolverError(str(message), error_type, data, info).as_graphql())
        return ""

    def unauthorized(self) -> None:
        """Fail the field as unauthorized."""
        raise Unauthorized()

    def validate(
        self, condition: Any, message: str, error_type: str | None = None, data: Any = None
    ) -> str:
        """Fail with `message` unless `condition` holds."""
        if not condition:
            raise ResolverError(str(message), error_type, data)
        return ""

    def isNull(self, value: Any) -> bool:  # noqa: N802
        return value is None

    def isNullOrEmpty(self, value: Any) -> bool:  # noqa: N802
        return value is None or value == "" or value == [] or value == {}

    def isNullOrBlank(self, value: Any) -> bool:  # noqa: N802
        return value is None or (isinstance(value, str) and not value.strip())

    def defaultIfNull(self, value: Any, default: Any) -> Any:  # noqa: N802
        return default if value is None else value

    def defaultIfNullOrEmpty(self, value: Any, default: Any) -> Any:  # noqa: N802
        return default if self.isNullOrEmpty(value) else value

    def defaultIfNullOrBlank(self, value: Any, default: Any) -> Any:  # noqa: N802
        return default if self.isNullOrBlank(value) else value

    def isString(self, value: Any) -> bool:  # noqa: N802
        return isinstance(value, str)

    def isNumber(self, value: Any) -> bool:  # noqa: N802
        return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)

    def isBoolean(self, value: Any) -> bool:  # noqa: N802
        return isinstance(value, bool)

    def isList(self, value: Any) -> bool:  # noqa: N802
        return isinstance(value, list)

    def isMap(self, value: Any) -> bool:  # noqa: N802
        return isinstance(value, dict)

    def typeOf(self, value: Any) -> str:  # noqa: N802
        if value is None:
            return "Null"
        if isinstance(value, bool):
            return "Boolean"
        if self.isNumber(value):
            return "Number"
        if isinstance(value, str):
            return "String"
        if isinstance(value, list):
            return "List"
        if isinstance(value, dict):
            return "Map"
        return "Object"

    def matches(self, pattern: str, text: str) -> bool:
        return re.fullmatch(pattern, str(text)) is not None

    def autoId(self) -> str:  # noqa: N802
        """A random UUID (the lab's seeded ids)."""
        return self._ids.uuid()

    def autoUlid(self) -> str:  # noqa: N802
        return self._ids.token(26).upper()

    def autoKsuid(self) -> str:  # noqa: N802
        return self._ids.token(27)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set):
        return list(value)
    return str(value)


class Rendered:
    """One template's output: the text, or the value of `#return`, and what it asked for."""

    __slots__ = ("text", "returned", "has_return", "errors", "logs", "extensions")

    def __init__(self) -> None:
        self.text = ""
        self.returned: Any = None
        self.has_return = False
        self.errors: list[dict[str, Any]] = []
        self.logs: list[str] = []
        self.extensions = Extensions()

    def value(self) -> Any:
        """The rendered JSON parsed (or the `#return` value)."""
        if self.has_return:
            return self.returned
        text = self.text.strip()
        if not text:
            raise ResolverError(
                "Unable to transform the template: Template transformation yielded an empty "
                "response.",
                "MappingTemplate",
            )
        try:
            return json.loads(text)
        except ValueError:
            raise ResolverError(
                f"Unable to parse the JSON document: '{text[:200]}'", "MappingTemplate"
            ) from None


class AppSyncTemplates:
    """Compiles AppSync templates (API Gateway's cache and syntax check) and renders them."""

    def __init__(self, service: AppSyncService) -> None:
        self.service = service
        self._compiler = Templates()
        self._statics = {
            "dynamodb": DynamoDbUtil(),
            "time": TimeUtil(service.clock),
            "transform": TransformUtil(),
            "str": StrUtil(),
            "math": MathUtil(service.ids),
            "list": ListUtil(),
            "map": MapUtil(),
        }
        self._return = _ReturnMacro()

    def check(self, text: str) -> None:
        """Reject a template that does not parse (BadRequestException)."""
        try:
            self._compile(text)
        except ServiceError as error:
            raise bad_request(
                error.message.replace("mapping expression", "mapping template")
            ) from None

    def _compile(self, text: str) -> airspeed.Template:
        return self._compiler.compile(_BARE_RETURN.sub("#return()", text))

    def render(self, text: str, context: dict[str, Any]) -> Rendered:
        """Render `text` with `$context`/`$ctx` = `context`; raises ResolverError for `$util.error`."""
        template = self._compile(text)
        util = AppSyncUtil(self.service, self._statics)
        out = Rendered()
        namespace = {
            "context": context,
            "ctx": context,
            "util": util,
            "utils": util,
            "extensions": out.extensions,
            "#return": self._return,
        }
        try:
            out.text = template.merge(namespace)
        except airspeed.TemplateExecutionError as error:
            cause = _root_cause(error)
            if isinstance(cause, _Returned):
                out.has_return, out.returned = True, cause.value
            elif isinstance(cause, ResolverError):
                raise cause from None
            else:
                raise ResolverError(
                    f"Error evaluating mapping template: {cause}", "MappingTemplate"
                ) from None
        out.errors = util.errors
        out.logs = util.log.lines
        return out

    def evaluate(self, text: str, context: dict[str, Any]) -> dict[str, Any]:
        """EvaluateMappingTemplate: render against a context; errors are returned, not raised."""
        context = _playground_context(context)
        try:
            self.check(text)
            rendered = self.render(text, context)
        except ServiceError as error:
            return {"error": {"message": error.message}}
        except ResolverError as error:
            return {"error": {"message": error.message}, "stash": json.dumps(context["stash"])}
        result = (
            json.dumps(rendered.returned, default=_jsonable)
            if rendered.has_return
            else rendered.text
        )
        out: dict[str, Any] = {
            "evaluationResult": result,
            "logs": rendered.logs,
            "stash": json.dumps(context["stash"], default=_jsonable),
        }
        if rendered.errors:
            out["outErrors"] = json.dumps(rendered.errors)
        return out


def _playground_context(context: dict[str, Any]) -> dict[str, Any]:
    context = dict(context)
    context.setdefault("arguments", {})
    context["args"] = context["arguments"]
    context.setdefault("stash", {})
    context.setdefault("source", None)
    context.setdefault("identity", None)
    context.setdefault("prev", {})
    context.setdefault("info", {})
    context.setdefault("request", {"headers": {}})
    return context


def _root_cause(error: BaseException) -> BaseException:
    seen = error
    while isinstance(seen, airspeed.TemplateExecutionError) and seen.__cause__ is not None:
        seen = seen.__cause__
    return seen
