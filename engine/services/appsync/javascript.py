"""APPSYNC_JS: resolver and function code run on an embedded QuickJS (`quickjs`, imported lazily).

Code is AppSync's ES module form (`import { util } from '@aws-appsync/utils'`, `export function
request(ctx)` / `response(ctx)`); imports of the utils package are bound to the lab's `util`,
`runtime` and `extensions`. The runtime's restrictions (no classes, async, throw, while or
classic for loops) are reported as AppSync's linter reports them.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from .models import bad_request
from .templates import ResolverError

if TYPE_CHECKING:
    from .datasources import DataSources
    from .models import DataSource, Function, GraphqlApi
    from .service import AppSyncService

_IMPORT = re.compile(r"\bimport\s+[^;]*?\bfrom\s+['\"]@aws-appsync/utils['\"]\s*;?")
_DDB_STAR = re.compile(
    r"\bimport\s+\*\s+as\s+([A-Za-z_$][\w$]*)\s+from\s+['\"]@aws-appsync/utils/dynamodb['\"]\s*;?"
)
_DDB_NAMED = re.compile(
    r"\bimport\s*\{([^}]*)\}\s*from\s+['\"]@aws-appsync/utils/dynamodb['\"]\s*;?"
)


def _bind_imports(code: str) -> str:
    """`@aws-appsync/utils` imports become the prelude's bindings (util, runtime, extensions, ddb)."""
    code = _DDB_STAR.sub(lambda m: f"var {m.group(1)} = __ddb;", code)

    def named(match: re.Match[str]) -> str:
        out = []
        for part in match.group(1).split(","):
            name, _, alias = part.strip().partition(" as ")
            if name.strip():
                out.append(f"var {(alias or name).strip()} = __ddb.{name.strip()};")
        return " ".join(out)

    return _IMPORT.sub("", _DDB_NAMED.sub(named, code))


_EXPORT = re.compile(r"(^|[;{}\s])export\s+(default\s+)?")
_RESTRICTED = [
    (re.compile(r"\bclass\s+[A-Za-z_$]"), "Classes are not supported."),
    (re.compile(r"\basync\s+function\b|\bawait\b"), "async/await is not supported."),
    (re.compile(r"\bthrow\b"), "Throw statements are not supported. Use util.error instead."),
    (re.compile(r"\bwhile\s*\("), "while loops are not supported."),
    (re.compile(r"\bfor\s*\([^)]*;[^)]*;"), "for loops are not supported. Use for-in or for-of."),
    (re.compile(r"\bfunction\s*\*"), "Generators are not supported."),
    (re.compile(r"\bnew\s+Promise\b"), "Promises are not supported."),
]

#: Compiled codes kept at once (a lab rarely has more distinct resolvers and handlers).
MAX_MODULES = 512

_PRELUDE = r"""
var __modules = {};
function __typed(v) {
  if (v === null || v === undefined) return {NULL: true};
  if (typeof v === 'boolean') return {BOOL: v};
  if (typeof v === 'number') return {N: String(v)};
  if (typeof v === 'string') return {S: v};
  if (Array.isArray(v)) return {L: v.map(__typed)};
  var m = {}; for (var k in v) m[k] = __typed(v[k]); return {M: m};
}
function __expression(node, kind) {
  var names = {}, values = {}, n = 0;
  var ops = {eq: '=', ne: '<>', le: '<=', lt: '<', ge: '>=', gt: '>'};
  function clause(obj) {
    var parts = [];
    for (var key in obj) {
      var cond = obj[key];
      if (key === 'and' || key === 'or') { parts.push('(' + cond.map(function (c) { return '(' + clause(c) + ')'; }).join(' ' + key + ' ') + ')'); continue; }
      if (key === 'not') { parts.push('(not (' + clause(cond) + '))'); continue; }
      names['#' + key] = key;
      for (var op in cond) {
        var ref = ':' + kind + (n++);
        var v = cond[op];
        if (ops[op]) { values[ref] = __typed(v); parts.push('#' + key + ' ' + ops[op] + ' ' + ref); }
        else if (op === 'beginsWith') { values[ref] = __typed(v); parts.push('begins_with(#' + key + ', ' + ref + ')'); }
        else if (op === 'contains') { values[ref] = __typed(v); parts.push('contains(#' + key + ', ' + ref + ')'); }
        else if (op === 'notContains') { values[ref] = __typed(v); parts.push('not contains(#' + key + ', ' + ref + ')'); }
        else if (op === 'between') { values[ref + 'a'] = __typed(v[0]); values[ref + 'b'] = __typed(v[1]); parts.push('#' + key + ' between ' + ref + 'a and ' + ref + 'b'); }
        else if (op === 'attributeExists') { parts.push((v ? 'attribute_exists(#' : 'attribute_not_exists(#') + key + ')'); }
      }
    }
    return parts.join(' and ');
  }
  return {expression: clause(node), expressionNames: names, expressionValues: values};
}
function __maps(o) { var m = {}; for (var k in o) m[k] = __typed(o[k]); return m; }
var __ddb = {
  get: function (p) { return {operation: 'GetItem', key: __maps(p.key), consistentRead: !!p.consistentRead}; },
  put: function (p) { var r = {operation: 'PutItem', key: __maps(p.key), attributeValues: __maps(p.item || {})}; if (p.condition) r.condition = __expression(p.condition, 'c'); return r; },
  remove: function (p) { var r = {operation: 'DeleteItem', key: __maps(p.key)}; if (p.condition) r.condition = __expression(p.condition, 'c'); return r; },
  update: function (p) {
    var sets = [], names = {}, values = {}, i = 0;
    for (var k in p.update) { names['#u' + i] = k; values[':u' + i] = __typed(p.update[k]); sets.push('#u' + i + ' = :u' + i); i++; }
    var r = {operation: 'UpdateItem', key: __maps(p.key), update: {expression: 'SET ' + sets.join(', '), expressionNames: names, expressionValues: values}};
    if (p.condition) r.condition = __expression(p.condition, 'c');
    return r;
  },
  query: function (p) {
    var r = {operation: 'Query', query: __expression(p.query, 'q')};
    if (p.filter) r.filter = __expression(p.filter, 'f');
    ['index', 'limit', 'nextToken', 'scanIndexForward', 'consistentRead'].forEach(function (k) { if (p[k] !== undefined) r[k] = p[k]; });
    return r;
  },
  scan: function (p) {
    p = p || {};
    var r = {operation: 'Scan'};
    if (p.filter) r.filter = __expression(p.filter, 'f');
    ['index', 'limit', 'nextToken', 'consistentRead', 'segment', 'totalSegments'].forEach(function (k) { if (p[k] !== undefined) r[k] = p[k]; });
    return r;
  }
};
// Per-call state; the helpers below are made once and read it (making ~40 closures per call
// would cost more than the resolver itself).
var __st = {errors: [], logs: [], ext: {}, now: 0, seed: 0};
function __rnd() { __st.seed = (__st.seed * 1103515245 + 12345) % 2147483648; return __st.seed / 2147483648; }
function __hex(n) { var s = ''; for (var i = 0; i < n; i++) s += Math.floor(__rnd() * 16).toString(16); return s; }
var __E = function (message, type, data, info) { this.message = message; this.type = type; this.data = data; this.info = info; };
var __R = function (value) { this.value = value; };
var __util = {
  error: function (message, type, data, info) { throw new __E(String(message), type === undefined ? null : type, data === undefined ? null : data, info === undefined ? null : info); },
  appendError: function (message, type, data, info) { __st.errors.push({message: String(message), errorType: type || null, data: data || null, errorInfo: info || null}); },
  unauthorized: function () { throw new __E('Unauthorized', 'Unauthorized', null, null); },
  autoId: function () { return __hex(8) + '-' + __hex(4) + '-4' + __hex(3) + '-a' + __hex(3) + '-' + __hex(12); },
  autoUlid: function () { return __hex(26).toUpperCase(); },
  isNull: function (v) { return v === null || v === undefined; },
  isNullOrEmpty: function (v) { return v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0); },
  isNullOrBlank: function (v) { return v === null || v === undefined || (typeof v === 'string' && v.trim() === ''); },
  defaultIfNull: function (v, d) { return (v === null || v === undefined) ? d : v; },
  matches: function (pattern, text) { return new RegExp('^(?:' + pattern + ')$').test(text); },
  time: {
    nowISO8601: function () { return new Date(__st.now).toISOString(); },
    nowEpochSeconds: function () { return Math.floor(__st.now / 1000); },
    nowEpochMilliSeconds: function () { return __st.now; },
    parseISO8601ToEpochMilliSeconds: function (t) { return Date.parse(t); },
    epochMilliSecondsToISO8601: function (ms) { return new Date(ms).toISOString(); }
  },
  dynamodb: {
    toDynamoDB: __typed,
    toMapValues: function (o) { var m = {}; for (var k in o) m[k] = __typed(o[k]); return m; },
    toString: function (v) { return {S: String(v)}; },
    toNumber: function (v) { return {N: String(v)}; }
  },
  transform: {
    toSubscriptionFilter: function (f, ignored) {
      ignored = ignored || [];
      var groups = (f.or || [f]).map(function (part) {
        var filters = [];
        for (var field in part) {
          if (ignored.indexOf(field) >= 0 || field === 'or') continue;
          for (var op in part[field]) filters.push({fieldName: field, operator: op, value: part[field][op]});
        }
        return {filters: filters};
      });
      return {filterGroup: groups};
    }
  },
  str: { toUpper: function (s) { return String(s).toUpperCase(); }, toLower: function (s) { return String(s).toLowerCase(); } },
  base64Encode: function (s) { return btoa(unescape(encodeURIComponent(s))); },
  base64Decode: function (s) { return decodeURIComponent(escape(atob(s))); },
  urlEncode: encodeURIComponent,
  urlDecode: decodeURIComponent
};
var __runtime = { earlyReturn: function (value) { throw new __R(value === undefined ? null : value); } };
var __extensions = {
  setSubscriptionFilter: function (f) { __st.ext.filter = f; },
  setSubscriptionInvalidationFilter: function (f) { __st.ext.invalidationFilter = f; },
  invalidateSubscriptions: function (spec) { __st.ext.invalidation = spec; }
};
var __console = { log: function () { __st.logs.push(Array.prototype.slice.call(arguments).map(function (a) { return typeof a === 'string' ? a : JSON.stringify(a); }).join(' ')); } };
__console.error = __console.log; __console.warn = __console.log; __console.debug = __console.log; __console.info = __console.log;
function __run(id, phase, input) {
  var state = JSON.parse(input);
  var errors = [], logs = [], ext = {};
  __st.errors = errors; __st.logs = logs; __st.ext = ext; __st.now = state.now; __st.seed = state.seed;
  var E = __E, R = __R;
  var module = __modules[id](__util, __runtime, __extensions, __console, __ddb);
  var fn = module[phase];
  var out = {errors: errors, logs: logs, ext: ext};
  try {
    if (typeof fn !== 'function') {
      if (phase === 'onPublish') out.value = state.ctx.events;
      else if (phase === 'onSubscribe') out.value = null;
      else out.error = {message: 'The code does not export a ' + phase + ' function.', type: 'Code'};
    } else {
      var value = fn(state.ctx);
      out.value = value === undefined ? null : value;
    }
  } catch (e) {
    if (e instanceof E) out.error = {message: e.message, type: e.type, data: e.data, info: e.info};
    else if (e instanceof R) out.early = {value: e.value};
    else out.error = {message: String(e && e.message || e), type: 'Code'};
  }
  out.stash = state.ctx.stash;
  return JSON.stringify(out);
}
"""


def lint(code: str) -> list[dict[str, Any]]:
    """AppSync's linter errors for constructs the APPSYNC_JS runtime does not support."""
    found = []
    for pattern, message in _RESTRICTED:
        match = pattern.search(code)
        if match is not None:
            line = code.count("\n", 0, match.start()) + 1
            column = match.start() - (code.rfind("\n", 0, match.start()) + 1)
            found.append(
                {
                    "errorType": "LINT_ERROR",
                    "value": message,
                    "location": {"line": line, "column": column, "span": len(match.group(0))},
                }
            )
    return found


class JavaScript:
    """One QuickJS context per service; each distinct code is compiled once and reused.

    QuickJS runs in this thread: a call costs microseconds (V8 through mini-racer hops threads and
    costs a few hundred), which is what keeps an APPSYNC_JS resolver near a VTL one in speed.
    """

    def __init__(self, service: AppSyncService) -> None:
        self.service = service
        self._context: Any = None
        self._run: Any = None
        self._compiled: dict[str, str] = {}  # code → module id, oldest first
        self._made = 0

    def _engine(self) -> Any:
        if self._context is None:
            try:
                import quickjs
            except ImportError:  # the dependency is declared; say what is missing rather than crash
                raise bad_request(
                    "APPSYNC_JS needs the quickjs package (pip install quickjs)."
                ) from None
            context = quickjs.Context()
            context.set_memory_limit(64 * 1024 * 1024)
            context.set_time_limit(5)  # a runaway resolver stops (AppSync allows far less)
            context.eval(_PRELUDE)
            self._context = context
            self._run = context.get("__run")
        return self._context

    def _module(self, code: str) -> str:
        """The id of `code` compiled as a module factory (syntax errors as BadRequestException)."""
        module_id = self._compiled.get(code)
        if module_id is not None:
            return module_id
        problems = lint(code)
        if problems:
            raise bad_request("The code contains one or more errors. " + problems[0]["value"])
        body = _EXPORT.sub(r"\1", _bind_imports(code))
        self._made += 1
        module_id = f"m{self._made}"
        factory = (
            f"__modules[{json.dumps(module_id)}] = function (util, runtime, extensions, console, __ddb) {{\n"
            f"{body}\n"
            "return {request: typeof request === 'function' ? request : undefined,"
            " response: typeof response === 'function' ? response : undefined,"
            " onPublish: typeof onPublish === 'function' ? onPublish : undefined,"
            " onSubscribe: typeof onSubscribe === 'function' ? onSubscribe : undefined};\n};"
        )
        import quickjs

        engine = self._engine()
        try:
            engine.eval(factory)
        except quickjs.JSException as error:
            raise bad_request(
                f"The code contains one or more errors. {str(error).splitlines()[0]}"
            ) from None
        self._compiled[code] = module_id
        if len(self._compiled) > MAX_MODULES:  # edited resolvers leave old code behind: drop it
            oldest = next(iter(self._compiled))
            engine.eval(f"delete __modules[{json.dumps(self._compiled.pop(oldest))}];")
        return module_id

    def check(self, code: str) -> None:
        """Reject code that does not compile or that uses unsupported syntax."""
        self._module(code)

    def call(self, code: str, phase: str, context: dict[str, Any]) -> dict[str, Any]:
        """Run `phase` (request/response) of `code` with `ctx`; the outcome as a dict."""
        module_id = self._module(code)
        ctx = {k: v for k, v in context.items() if not k.startswith("_")}
        state = {
            "ctx": ctx,
            "now": int(self.service.clock.now() * 1000),
            "seed": int(self.service.ids.random() * 2**31),
        }
        import quickjs

        self._engine()
        try:
            raw = self._run(module_id, phase, json.dumps(state, default=str))
        except quickjs.JSException as error:  # module code that throws, or the time limit
            raise ResolverError(str(error).splitlines()[0], "Code") from None
        outcome = json.loads(raw)
        context["stash"] = outcome.get("stash") or {}
        if outcome.get("errors"):
            context.setdefault("_errors", []).extend(outcome["errors"])
        ext = outcome.get("ext") or {}
        if ext:
            context["_extensions"] = {
                "filter": ext.get("filter"),
                "invalidation": ext.get("invalidation"),
                "invalidationFilter": ext.get("invalidationFilter"),
            }
        return outcome

    @staticmethod
    def _raise(outcome: dict[str, Any]) -> None:
        error = outcome.get("error")
        if error is not None:
            raise ResolverError(
                error["message"], error.get("type"), error.get("data"), error.get("info")
            )

    async def run_unit(
        self, code: str, source: DataSource, context: dict[str, Any], sources: DataSources
    ) -> Any:
        """request(ctx) → data source → response(ctx)."""
        outcome = self.call(code, "request", context)
        self._raise(outcome)
        if "early" in outcome:
            context["_early"] = True
            return outcome["early"]["value"]
        try:
            context["result"] = await sources.invoke(source, outcome.get("value"), context)
            context["error"] = None
        except ResolverError as error:
            context["result"] = None
            context["error"] = {"message": error.message, "type": error.error_type}
        outcome = self.call(code, "response", context)
        self._raise(outcome)
        return outcome.get("value")

    async def run_pipeline(
        self,
        code: str,
        functions: list[Function],
        api: GraphqlApi,
        context: dict[str, Any],
        sources: DataSources,
    ) -> Any:
        """The resolver's request (before), each function, then its response (after)."""
        outcome = self.call(code, "request", context)
        self._raise(outcome)
        if "early" in outcome:
            return outcome["early"]["value"]
        context["prev"] = {"result": outcome.get("value")}
        for function in functions:
            source = api.data_sources[function.data_source]
            if function.code.runtime is None:
                value = await self.service.executor._unit(function.code, source, context)
            else:
                value = await self.run_unit(function.code.code or "", source, context, sources)
            context["prev"] = {"result": value}
            if context.pop("_early", False):
                break
        context["result"] = context["prev"]["result"]
        outcome = self.call(code, "response", context)
        self._raise(outcome)
        return outcome.get("value")

    def handler(self, code: str, phase: str, context: dict[str, Any]) -> Any:
        """Run an Event API handler (`onPublish` / `onSubscribe`); ResolverError if it refuses."""
        outcome = self.call(code, phase, context)
        self._raise(outcome)
        return outcome.get("value")

    async def evaluate(self, code: str, context: dict[str, Any], phase: str) -> dict[str, Any]:
        """EvaluateCode: run one phase against a context; errors are returned, not raised."""
        problems = lint(code)
        if problems:
            return {
                "error": {
                    "message": "The code contains one or more errors.",
                    "codeErrors": problems,
                }
            }
        from .templates import _playground_context

        context = _playground_context(context)
        try:
            outcome = self.call(code, phase, context)
        except Exception as error:  # a syntax error: returned as AppSync's playground does
            message = getattr(error, "message", None) or str(error)
            return {"error": {"message": message}}
        out: dict[str, Any] = {
            "logs": outcome.get("logs", []),
            "stash": json.dumps(context["stash"]),
        }
        if outcome.get("error") is not None:
            out["error"] = {"message": outcome["error"]["message"]}
        elif "early" in outcome:
            out["evaluationResult"] = json.dumps(outcome["early"]["value"])
        else:
            out["evaluationResult"] = json.dumps(outcome.get("value"))
        if outcome.get("errors"):
            out["outErrors"] = json.dumps(outcome["errors"])
        return out
