"""AWS Lambda: functions (zip code, registered callables, demos), versions, aliases and Invoke.

Internal API for other services:
- through the fabric: `await eng.fabric.deliver(function_arn, Envelope(body=event,
  options={"invocation_type": "RequestResponse" | "Event"}))` → the decoded result (sync) or
  None (Event); raises `FunctionError` when the function fails and TooManyRequestsException
  when it is throttled.
- `eng.register_function(name, handler, **config)` → ARN; `service.create_demo(name, demo,
  **config)` → ARN; `service.function_logs(name)` → recent log lines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.arn import parse_arn
from engine.errors import ServiceError
from engine.service import Service
from engine.topology import Edge, Node

from . import persistence
from .async_invoke import AsyncInvoker
from .code import CodeBundle
from .demos import DEMO_HANDLER_PREFIX, DEMOS, demo_named
from .describe import (
    CREATING,
    UPDATING,
    check_environment,
    check_name_length,
    check_role,
    configuration,
    conflict,
    invalid,
    listed,
    not_found,
    parse_function_ref,
    timestamp_text,
    user_error,
)
from .invoking import InvokeOperations
from .logs import FunctionLogs
from .mappings import MappingOperations
from .models import Function, FunctionVersion
from .runtime import Runtime
from .settings import SettingsOperations
from .versions import ALIAS_NAME, VersionOperations

DEFAULT_ROLE = "arn:aws:iam::123456789012:role/pipework-lab"
#: How Lambda words S3's errors when it cannot fetch a code package (AWS drops the final stop).
_S3_MESSAGES = {
    "NoSuchBucket": "The specified bucket does not exist",
    "NoSuchKey": "The specified key does not exist.",
}
CALLABLE_RUNTIME = "python3.12"


class LambdaService(
    InvokeOperations, MappingOperations, SettingsOperations, VersionOperations, Service
):
    """Lambda: Python handlers run in-process on the engine clock."""

    name = "lambda"
    validation_error_code = "ValidationException"
    # AWS checks function names and qualifiers against the model's patterns before anything else.
    checked_patterns = frozenset(
        {
            "FunctionName",
            "NamespacedFunctionName",
            "NumericLatestPublishedOrAliasQualifier",
            "Alias",
        }
    )

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        self.functions: dict[str, Function] = {}
        self.runtime = Runtime(self)
        self.async_invoker = AsyncInvoker(self)
        self.mappings_init()

    async def close(self) -> None:
        """Stop every event source mapping's poller and every worker process."""
        await self.mappings_close()
        await self.runtime.close()

    # -- lookups ----------------------------------------------------------------------------
    def function_arn(self, name: str) -> str:
        """The unqualified ARN of function `name`."""
        return self.arn(f"function:{name}")

    def get_function_named(self, reference: str) -> Function:
        """The function a FunctionName refers to (name or ARN); ResourceNotFoundException if none."""
        name, _ = parse_function_ref(reference)
        function = self.functions.get(name)
        if function is None:
            raise not_found(f"Function not found: {self.function_arn(name)}")
        return function

    @staticmethod
    def _name_and_qualifier(reference: str, qualifier: str | None) -> tuple[str, str | None]:
        name, derived = parse_function_ref(reference)
        if derived and qualifier and derived != qualifier:
            raise invalid(
                "The derived qualifier from the function name does not match the specified qualifier."
            )
        return name, qualifier or derived

    def _qualified(
        self, reference: str, qualifier: str | None, missing: str = ""
    ) -> tuple[Function, str | None]:
        """The function and qualifier a reference names; `missing` qualifies a not-found ARN
        when the caller gave none (Invoke reports `:$LATEST`)."""
        name, qualifier = self._name_and_qualifier(reference, qualifier)
        function = self.functions.get(name)
        if function is None:
            suffix = f":{qualifier}" if qualifier else missing
            raise not_found(f"Function not found: {self.function_arn(name)}{suffix}")
        return function, qualifier

    def resolve_for_invoke(
        self, reference: str, qualifier: str | None
    ) -> tuple[Function, FunctionVersion, str]:
        """(function, version to run, invoked ARN) for a name/ARN and optional qualifier."""
        function, qualifier = self._qualified(reference, qualifier, ":$LATEST")
        if qualifier is None:
            return function, function.latest, function.arn
        invoked = f"{function.arn}:{qualifier}"
        version = function.version(qualifier)
        if version is not None:
            return function, version, invoked
        alias = function.aliases.get(qualifier)
        if alias is None:
            raise not_found(f"Function not found: {invoked}")
        chosen = alias.version
        if alias.additional:
            roll = self.ids.random()
            for extra, weight in alias.additional.items():
                if roll < weight:
                    chosen = extra
                    break
                roll -= weight
        found = function.version(chosen)
        if found is None:
            raise not_found(f"Function not found: {function.arn}:{chosen}")
        return function, found, invoked

    def function_logs(self, name: str) -> list[str]:
        """The recent log lines of function `name` (its log stream, bounded)."""
        return self.get_function_named(name).logs.lines()

    # -- creating -----------------------------------------------------------------------------
    def _code_from(
        self, code: dict, handler: str
    ) -> tuple[CodeBundle | None, Callable | None, bytes]:
        """Read a Code parameter: zip bytes, an S3 object, or nothing for a demo handler."""
        if "ImageUri" in code:
            raise invalid(
                "Pipework runs zip packages with Python handlers; container images are not supported."
            )
        if "ZipFile" in code:
            data = code["ZipFile"]
            data = data.encode() if isinstance(data, str) else bytes(data)
        elif "S3Bucket" in code or "S3Key" in code:
            if "S3Bucket" not in code or "S3Key" not in code:
                raise invalid("Please provide a source for function code.")
            try:
                s3: Any = self.engine.service("s3")
                data = s3.get_object_internal(code["S3Bucket"], code["S3Key"])
            except ServiceError as error:
                raise invalid(
                    f"Error occurred while GetObject. S3 Error Code: {error.code}. S3 Error "
                    f"Message: {_S3_MESSAGES.get(error.code, error.message)}"
                ) from None
        else:
            data = b""
        demo = demo_named(handler)
        if demo is not None:
            return None, demo.factory(self.engine), data
        if not data and handler.startswith(DEMO_HANDLER_PREFIX):
            # A lab-only handler: say which demos exist rather than AWS's generic complaint.
            known = ", ".join(DEMO_HANDLER_PREFIX + name for name in DEMOS)
            raise invalid(f"Pipework has no demo function {handler!r}; the demos are: {known}.")
        if not data:
            raise invalid("Please provide a source for function code.")
        return CodeBundle(data), None, data

    def _version_from(
        self,
        name: str,
        params: dict,
        bundle: CodeBundle | None,
        handler_callable: Callable | None,
        raw: bytes,
    ) -> FunctionVersion:
        import base64 as b64
        import hashlib

        runtime = params.get("Runtime", "")
        handler = params.get("Handler", "")
        if handler_callable is None and not runtime.startswith("python"):
            raise invalid(
                f"Pipework runs Python handlers in-process; the runtime {runtime} is not supported."
            )
        sha = (
            bundle.sha256
            if bundle is not None
            else b64.b64encode(hashlib.sha256(raw or handler.encode()).digest()).decode()
        )
        environment = dict((params.get("Environment") or {}).get("Variables") or {})
        return FunctionVersion(
            version="$LATEST",
            arn=self.function_arn(name),
            handler=handler,
            runtime=runtime,
            role=params["Role"],
            bundle=bundle,
            callable=handler_callable,
            code_sha256=sha,
            code_size=len(raw),
            description=params.get("Description", ""),
            timeout=params.get("Timeout", 3),
            memory=params.get("MemorySize", 128),
            environment=environment,
            dead_letter_arn=(params.get("DeadLetterConfig") or {}).get("TargetArn") or None,
            last_modified=timestamp_text(self.clock.now()),
            revision_id=self.ids.uuid(),
            architectures=tuple(params.get("Architectures") or ("x86_64",)),
            ephemeral_storage=(params.get("EphemeralStorage") or {}).get("Size", 512),
            tracing_mode=(params.get("TracingConfig") or {}).get("Mode", "PassThrough"),
            log_format=(params.get("LoggingConfig") or {}).get("LogFormat", "Text"),
            app_log_level=(params.get("LoggingConfig") or {}).get("ApplicationLogLevel", "INFO"),
            system_log_level=(params.get("LoggingConfig") or {}).get("SystemLogLevel", "INFO"),
            environment_set="Environment" in params,
        )

    def _check_config(self, params: dict) -> None:
        if "Role" in params:
            check_role(params["Role"])
        variables = (params.get("Environment") or {}).get("Variables")
        if variables:
            check_environment(variables)
        target = (params.get("DeadLetterConfig") or {}).get("TargetArn")
        if target:
            parsed = parse_arn(target)
            if parsed is None or parsed.service not in ("sqs", "sns"):
                raise invalid(
                    "The provided target arn is invalid. Please provide an SQS or SNS arn."
                )

    def create_function(self, params: dict) -> dict:
        """CreateFunction: zip code with a Python handler, or a `pipework.demos.*` handler."""
        name, qualifier = parse_function_ref(params["FunctionName"])
        if qualifier:
            raise invalid("Unsupported qualifier in the function name.")
        check_name_length(name)
        if params.get("PackageType", "Zip") == "Image":
            raise invalid(
                "Pipework runs zip packages with Python handlers; container images are not supported."
            )
        if "Runtime" not in params or "Handler" not in params:
            raise invalid(
                "Runtime and Handler are mandatory parameters for functions created with "
                "deployment packages."
            )
        self._check_config(params)
        if name in self.functions:
            raise conflict(f"Function already exist: {name}")
        bundle, handler_callable, raw = self._code_from(params["Code"], params["Handler"])
        version = self._version_from(name, params, bundle, handler_callable, raw)
        function = self._add_function(name, version, dict(params.get("Tags") or {}))
        function.is_demo = params["Handler"] if handler_callable is not None else None
        answer = configuration(function, function.latest, CREATING)
        # Creation completes at once in the lab; on AWS finishing it gives a new revision too.
        function.latest.revision_id = self.ids.uuid()
        if params.get("Publish"):
            # AWS answers with the pending $LATEST configuration, labelled with the new version.
            answer["Version"] = self.publish(function, "").version
        return answer

    def _add_function(self, name: str, version: FunctionVersion, tags: dict[str, str]) -> Function:
        arn = self.function_arn(name)
        logs = FunctionLogs(f"/aws/lambda/{name}")
        function = Function(name, arn, version, logs, tags=tags)
        self.functions[name] = function
        self.emit("created", arn, runtime=version.runtime, handler=version.handler)
        return function

    def register_function(self, name: str, handler: Callable[..., Any], **config: Any) -> str:
        """Register a Python callable (sync or async) as function `name`; returns its ARN.

        `config` takes CreateFunction's parameter names (Timeout, MemorySize, Environment,
        Description, DeadLetterConfig, Tags, Role). Registering an existing name replaces its code.
        """
        params = {"Role": DEFAULT_ROLE, "Runtime": CALLABLE_RUNTIME, **config}
        params.setdefault(
            "Handler",
            f"{getattr(handler, '__module__', 'lab')}.{getattr(handler, '__name__', 'handler')}",
        )
        self._check_config(params)
        version = self._version_from(name, params, None, handler, b"")
        existing = self.functions.get(name)
        if existing is not None:
            existing.latest = version
            return existing.arn
        return self._add_function(name, version, dict(params.get("Tags") or {})).arn

    def create_demo(self, name: str, demo: str, **config: Any) -> str:
        """Create function `name` running the demo `demo` (see demos.DEMOS); returns its ARN."""
        if demo not in DEMOS:
            raise invalid(f"Unknown demo {demo!r}; choose from {', '.join(DEMOS)}")
        params = {
            "FunctionName": name,
            "Runtime": CALLABLE_RUNTIME,
            "Role": DEFAULT_ROLE,
            "Handler": DEMO_HANDLER_PREFIX + demo,
            "Code": {},
            "Description": DEMOS[demo].description,
            **config,
        }
        return self.create_function(params)["FunctionArn"]

    # -- reading, updating, deleting ---------------------------------------------------------
    def get_function_configuration(self, params: dict) -> dict:
        """GetFunctionConfiguration (of $LATEST, a version or an alias's version)."""
        function, qualifier = self._qualified(params["FunctionName"], params.get("Qualifier"))
        version = self._version_for_read(function, qualifier)
        return configuration(function, version, qualifier=qualifier)

    def _version_for_read(self, function: Function, qualifier: str | None) -> FunctionVersion:
        version = function.version(qualifier)
        if version is None and qualifier in function.aliases:
            version = function.version(function.aliases[qualifier].version)
        if version is None:
            raise not_found(f"Function not found: {function.arn}:{qualifier}")
        return version

    def get_function(self, params: dict) -> dict:
        """GetFunction: configuration, code location, tags and reserved concurrency."""
        function, qualifier = self._qualified(params["FunctionName"], params.get("Qualifier"))
        version = self._version_for_read(function, qualifier)
        result: dict = {
            "Configuration": configuration(function, version, qualifier=qualifier),
            "Code": {
                "RepositoryType": "S3",
                "Location": f"https://awslambda-{self.region}-tasks.s3.{self.region}.amazonaws.com/"
                f"snapshots/{self.account_id}/{function.name}-{version.code_sha256[:8]}",
            },
        }
        if function.tags:
            result["Tags"] = dict(function.tags)
        if function.reserved is not None:
            result["Concurrency"] = {"ReservedConcurrentExecutions": function.reserved}
        return result

    def update_function_code(self, params: dict) -> dict:
        """UpdateFunctionCode: new zip for $LATEST (warm environments are discarded)."""
        function = self.get_function_named(params["FunctionName"])
        self._check_revision(function.latest.revision_id, params.get("RevisionId"))
        code = {k: params[k] for k in ("ZipFile", "S3Bucket", "S3Key", "ImageUri") if k in params}
        if not code:
            raise invalid("Please provide a source for function code.")
        bundle, handler_callable, raw = self._code_from(code, function.latest.handler)
        if params.get("DryRun"):
            return configuration(function, function.latest)
        latest = function.latest
        latest.bundle = bundle
        latest.callable = handler_callable if bundle is None else None
        latest.code_sha256 = bundle.sha256 if bundle is not None else latest.code_sha256
        latest.code_size = len(raw)
        self._touch(latest)
        if params.get("Publish"):
            return configuration(function, self.publish(function, ""))
        return self._updated(function, latest)

    def _updated(self, function: Function, latest: FunctionVersion) -> dict:
        """An update's answer (InProgress), then the update done: a new revision, as on AWS."""
        answer = configuration(function, latest, UPDATING)
        latest.revision_id = self.ids.uuid()
        return answer

    def _touch(self, version: FunctionVersion) -> None:
        version.last_modified = timestamp_text(self.clock.now())
        version.revision_id = self.ids.uuid()
        self.runtime.retire_idle(version)

    @staticmethod
    def _check_revision(current: str, given: str | None) -> None:
        if given is not None and given != current:
            raise user_error(
                "PreconditionFailedException",
                "The Revision Id provided does not match the latest Revision Id. Call the "
                "GetFunction/GetAlias API to retrieve the latest Revision Id",
                412,
            )

    def update_function_configuration(self, params: dict) -> dict:
        """UpdateFunctionConfiguration of $LATEST."""
        function = self.get_function_named(params["FunctionName"])
        latest = function.latest
        self._check_revision(latest.revision_id, params.get("RevisionId"))
        self._check_config(params)
        handler = params.get("Handler", latest.handler)
        runtime = params.get("Runtime", latest.runtime)
        demo = demo_named(handler)
        if (
            "Handler" in params
            and latest.callable is not None
            and demo is None
            and latest.bundle is None
        ):
            raise invalid("A registered callable's handler cannot be changed; update its code.")
        if demo is None and latest.bundle is not None and not runtime.startswith("python"):
            raise invalid(
                f"Pipework runs Python handlers in-process; the runtime {runtime} is not supported."
            )
        if demo is not None and handler != latest.handler:
            latest.callable = demo.factory(self.engine)
            latest.bundle = None
        latest.handler = handler
        latest.runtime = runtime
        if "Role" in params:
            latest.role = params["Role"]
        latest.description = params.get("Description", latest.description)
        latest.timeout = params.get("Timeout", latest.timeout)
        latest.memory = params.get("MemorySize", latest.memory)
        if "Environment" in params:
            latest.environment = dict((params["Environment"] or {}).get("Variables") or {})
            latest.environment_set = True
        if "DeadLetterConfig" in params:
            latest.dead_letter_arn = (params["DeadLetterConfig"] or {}).get("TargetArn") or None
        if "EphemeralStorage" in params:
            latest.ephemeral_storage = params["EphemeralStorage"].get("Size", 512)
        if "TracingConfig" in params:
            latest.tracing_mode = params["TracingConfig"].get("Mode", "PassThrough")
        if "LoggingConfig" in params:
            logging = params["LoggingConfig"]
            latest.log_format = logging.get("LogFormat", latest.log_format)
            latest.app_log_level = logging.get("ApplicationLogLevel", latest.app_log_level)
            latest.system_log_level = logging.get("SystemLogLevel", latest.system_log_level)
        self._touch(latest)
        return self._updated(function, latest)

    def delete_function(self, params: dict) -> dict:
        """DeleteFunction (the whole function, or one published version)."""
        name, qualifier = self._name_and_qualifier(params["FunctionName"], params.get("Qualifier"))
        # AWS judges the qualifier before it looks the function up.
        if qualifier == "$LATEST":
            raise invalid("$LATEST version cannot be deleted without deleting the function.")
        if qualifier and ALIAS_NAME.match(qualifier):
            raise invalid("Deletion of aliases is not currently supported.")
        function = self.functions.get(name)
        if function is None:
            raise not_found(f"Function not found: {self.function_arn(name)}")
        if qualifier:
            if qualifier not in function.versions:
                raise not_found(f"Function not found: {function.arn}:{qualifier}")
            using = [
                a.name
                for a in function.aliases.values()
                if a.version == qualifier or qualifier in a.additional
            ]
            if using:
                raise conflict(
                    f"Unable to delete version because the following aliases reference it: {using}"
                )
            self.runtime.retire_idle(function.versions.pop(qualifier))
            return {}
        if function.reserved is not None:
            self.runtime.reserved_total -= function.reserved
        del self.functions[function.name]
        for version in (function.latest, *function.versions.values()):
            self.runtime.retire_idle(version)
        self.emit("deleted", function.arn)
        return {"StatusCode": 204}

    def list_functions(self, params: dict) -> dict:
        """ListFunctions with Marker/MaxItems; FunctionVersion=ALL includes published versions."""
        configs: list[dict] = []
        every = params.get("FunctionVersion") == "ALL"
        for name in sorted(self.functions):
            function = self.functions[name]
            # Listing every version names $LATEST in its ARN, as AWS does.
            latest = configuration(
                function, function.latest, qualifier="$LATEST" if every else None
            )
            configs.append(listed(latest))
            if every:
                configs.extend(
                    listed(configuration(function, v)) for v in function.versions.values()
                )
        return self.paginate(configs, params, "Functions")

    @staticmethod
    def paginate(items: list, params: dict, key: str) -> dict:
        """Slice `items` by Marker (an index) and MaxItems (default 50)."""
        marker = params.get("Marker")
        start = 0
        if marker:
            try:
                start = int(marker)
            except ValueError:
                raise invalid("Invalid marker.") from None
        size = params.get("MaxItems") or 50
        page = items[start : start + size]
        result: dict = {key: page}
        if start + size < len(items):
            result["NextMarker"] = str(start + size)
        return result

    # -- save/open -------------------------------------------------------------------------------
    def dump(self) -> dict[str, Any] | None:
        """Functions with zip code or demo handlers, their versions, aliases, settings, mappings.

        Functions registered as Python callables cannot be saved; their names are listed under
        `skipped_callables`.
        """
        return persistence.dump(self)

    def load(self, data: dict[str, Any]) -> None:
        """Restore what dump() produced."""
        persistence.load(self, data)

    # -- views ------------------------------------------------------------------------------------------
    def holdings(self) -> dict[str, int]:
        """Functions."""
        return {"functions": len(self.functions)}

    def topology(self) -> tuple[list[Node], list[Edge]]:
        """Function nodes with live counters; mapping, destination and dead-letter edges."""
        nodes: list[Node] = []
        edges: list[Edge] = []
        for function in self.functions.values():
            nodes.append(
                Node(
                    function.arn,
                    "function",
                    function.name,
                    "lambda",
                    {
                        "invocations": function.invocations,
                        "errors": function.errors,
                        "throttles": function.throttles,
                        "concurrency": function.in_flight,
                        "cold_starts": function.cold_starts,
                        "async_queued": function.async_queued,
                    },
                )
            )
            for qualifier, config in function.invoke_configs.items():
                for label, target in (
                    ("on-success", config.on_success),
                    ("on-failure", config.on_failure),
                ):
                    if target:
                        edges.append(
                            Edge(function.arn, target, "destination", f"{label} ({qualifier})")
                        )
            if function.latest.dead_letter_arn:
                edges.append(
                    Edge(function.arn, function.latest.dead_letter_arn, "dead-letter", "DLQ")
                )
        edges.extend(self.mapping_edges())
        return nodes, edges
