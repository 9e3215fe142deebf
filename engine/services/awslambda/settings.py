"""Tags, concurrency, asynchronous invocation settings, resource policy and account settings."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from engine.arn import parse_arn
from engine.errors import ServiceError

from .describe import conflict, invalid, not_found
from .models import EventInvokeConfig, Function
from .runtime import UNRESERVED_MINIMUM

if TYPE_CHECKING:
    from .service import LambdaService

_DESTINATION_SERVICES = ("sqs", "sns", "lambda", "events")


class SettingsOperations:
    """Lambda operations on a function's settings (mixed into LambdaService)."""

    # -- tags ---------------------------------------------------------------------------------
    def _tagged(self: LambdaService, resource: str) -> Function:
        parsed = parse_arn(resource)
        if parsed is None or parsed.service != "lambda":
            raise ServiceError("ValidationException", f"Invalid resource ARN: {resource}")
        name = resource.split(":function:", 1)[-1]
        if ":" in name:
            raise invalid(
                "Tags on function aliases and versions are not supported. Please specify a "
                "function ARN."
            )
        function = self.functions.get(name)
        if function is None:
            raise not_found(f"Function not found: {resource}")
        return function

    def tag_resource(self: LambdaService, params: dict) -> dict:
        """TagResource."""
        function = self._tagged(params["Resource"])
        function.tags.update(params["Tags"])
        function.latest.revision_id = self.ids.uuid()  # AWS counts tagging as a change
        return {}

    def untag_resource(self: LambdaService, params: dict) -> dict:
        """UntagResource."""
        function = self._tagged(params["Resource"])
        for key in params["TagKeys"]:
            function.tags.pop(key, None)
        function.latest.revision_id = self.ids.uuid()
        return {}

    def list_tags(self: LambdaService, params: dict) -> dict:
        """ListTags."""
        return {"Tags": dict(self._tagged(params["Resource"]).tags)}

    # -- concurrency ----------------------------------------------------------------------------
    def put_function_concurrency(self: LambdaService, params: dict) -> dict:
        """PutFunctionConcurrency: reserve concurrency, keeping 100 unreserved for the account."""
        function = self.get_function_named(params["FunctionName"])
        wanted = params["ReservedConcurrentExecutions"]
        runtime = self.runtime
        others = runtime.reserved_total - (function.reserved or 0)
        if runtime.account_limit() - others - wanted < UNRESERVED_MINIMUM:
            raise invalid(
                "Specified ReservedConcurrentExecutions for function decreases account's "
                f"UnreservedConcurrentExecution below its minimum value of [{UNRESERVED_MINIMUM}]."
            )
        if function.reserved is None:
            # Its running invocations move from the unreserved pool to its own reservation.
            runtime.unreserved_in_flight -= function.in_flight
        runtime.reserved_total = others + wanted
        function.reserved = wanted
        return {"ReservedConcurrentExecutions": wanted}

    def get_function_concurrency(self: LambdaService, params: dict) -> dict:
        """GetFunctionConcurrency ({} when nothing is reserved)."""
        function = self.get_function_named(params["FunctionName"])
        if function.reserved is None:
            return {}
        return {"ReservedConcurrentExecutions": function.reserved}

    def delete_function_concurrency(self: LambdaService, params: dict) -> dict:
        """DeleteFunctionConcurrency."""
        function = self.get_function_named(params["FunctionName"])
        if function.reserved is not None:
            self.runtime.reserved_total -= function.reserved
            self.runtime.unreserved_in_flight += function.in_flight
            function.reserved = None
        return {}

    def get_account_settings(self: LambdaService, params: dict) -> dict:
        """GetAccountSettings: the quotas and this lab's usage."""
        runtime = self.runtime
        total = sum(f.latest.code_size for f in self.functions.values())
        return {
            "AccountLimit": {
                "TotalCodeSize": 80_530_636_800,
                "CodeSizeUnzipped": 262_144_000,
                "CodeSizeZipped": 52_428_800,
                "ConcurrentExecutions": runtime.account_limit(),
                "UnreservedConcurrentExecutions": runtime.unreserved_limit(),
            },
            "AccountUsage": {"TotalCodeSize": total, "FunctionCount": len(self.functions)},
        }

    # -- asynchronous invocation settings ---------------------------------------------------------
    def invoke_config(
        self: LambdaService, function: Function, qualifier: str | None
    ) -> EventInvokeConfig:
        """The settings that apply to an Event invocation of `qualifier` (defaults if none)."""
        config = function.invoke_configs.get(qualifier or "$LATEST")
        return config if config is not None else EventInvokeConfig()

    def _config_target(self: LambdaService, params: dict) -> tuple[Function, str]:
        function, qualifier = self._qualified(params["FunctionName"], params.get("Qualifier"))
        qualifier = qualifier or "$LATEST"
        if function.version(qualifier) is None and qualifier not in function.aliases:
            raise not_found(f"Function not found: {function.arn}:{qualifier}")
        return function, qualifier

    @staticmethod
    def _destination(config: dict | None, key: str) -> str | None:
        target = ((config or {}).get(key) or {}).get("Destination")
        if not target:
            return None
        parsed = parse_arn(target)
        if parsed is None or parsed.service not in _DESTINATION_SERVICES:
            raise invalid(f"The destination ARN {target} is invalid.")
        return target

    def _write_invoke_config(self: LambdaService, params: dict, replace: bool) -> dict:
        function, qualifier = self._config_target(params)
        existing = function.invoke_configs.get(qualifier)
        if not replace and existing is None:
            raise not_found(
                f"The function {function.arn}:{qualifier} doesn't have an EventInvokeConfig"
            )
        destinations = params.get("DestinationConfig")
        on_success = self._destination(destinations, "OnSuccess")
        on_failure = self._destination(destinations, "OnFailure")
        base = EventInvokeConfig() if replace or existing is None else existing
        config = EventInvokeConfig(
            max_retries=params.get("MaximumRetryAttempts", base.max_retries),
            max_event_age=params.get("MaximumEventAgeInSeconds", base.max_event_age),
            on_success=on_success if destinations is not None or replace else base.on_success,
            on_failure=on_failure if destinations is not None or replace else base.on_failure,
            last_modified=self.clock.now(),
            explicit_retries="MaximumRetryAttempts" in params
            or (not replace and base.explicit_retries),
            explicit_age="MaximumEventAgeInSeconds" in params
            or (not replace and base.explicit_age),
        )
        function.invoke_configs[qualifier] = config
        return self._describe_invoke_config(function, qualifier, config)

    def _describe_invoke_config(
        self: LambdaService, function: Function, qualifier: str, config: EventInvokeConfig
    ) -> dict:
        from datetime import UTC, datetime

        described: dict = {
            "LastModified": datetime.fromtimestamp(config.last_modified, UTC),
            "FunctionArn": f"{function.arn}:{qualifier}",
            "DestinationConfig": {
                "OnSuccess": {"Destination": config.on_success} if config.on_success else {},
                "OnFailure": {"Destination": config.on_failure} if config.on_failure else {},
            },
        }
        if config.explicit_retries:
            described["MaximumRetryAttempts"] = config.max_retries
        if config.explicit_age:
            described["MaximumEventAgeInSeconds"] = config.max_event_age
        return described

    def put_function_event_invoke_config(self: LambdaService, params: dict) -> dict:
        """PutFunctionEventInvokeConfig (replaces every setting)."""
        return self._write_invoke_config(params, replace=True)

    def update_function_event_invoke_config(self: LambdaService, params: dict) -> dict:
        """UpdateFunctionEventInvokeConfig (changes only the given settings)."""
        return self._write_invoke_config(params, replace=False)

    def get_function_event_invoke_config(self: LambdaService, params: dict) -> dict:
        """GetFunctionEventInvokeConfig (a missing function or version has no config either)."""
        name, qualifier = self._name_and_qualifier(params["FunctionName"], params.get("Qualifier"))
        qualifier = qualifier or "$LATEST"
        function = self.functions.get(name)
        config = function.invoke_configs.get(qualifier) if function is not None else None
        if config is None:
            raise not_found(
                f"The function {self.function_arn(name)}:{qualifier} doesn't have an "
                "EventInvokeConfig"
            )
        return self._describe_invoke_config(function, qualifier, config)

    def delete_function_event_invoke_config(self: LambdaService, params: dict) -> dict:
        """DeleteFunctionEventInvokeConfig."""
        function, qualifier = self._config_target(params)
        if function.invoke_configs.pop(qualifier, None) is None:
            raise not_found(
                f"The function {function.arn}:{qualifier} doesn't have an EventInvokeConfig"
            )
        return {}

    def list_function_event_invoke_configs(self: LambdaService, params: dict) -> dict:
        """ListFunctionEventInvokeConfigs."""
        function = self.get_function_named(params["FunctionName"])
        configs = [
            self._describe_invoke_config(function, q, c) for q, c in function.invoke_configs.items()
        ]
        return self.paginate(configs, params, "FunctionEventInvokeConfigs")

    # -- resource policy ----------------------------------------------------------------------
    def add_permission(self: LambdaService, params: dict) -> dict:
        """AddPermission: one statement of the function's resource-based policy."""
        function = self.get_function_named(params["FunctionName"])
        sid = params["StatementId"]
        if sid in function.policy:
            raise conflict(
                f"The statement id ({sid}) provided already exists. Please provide a new "
                "statement id, or remove the existing statement."
            )
        principal = params["Principal"]
        statement: dict = {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"Service": principal} if "." in principal else {"AWS": principal},
            "Action": params["Action"],
            "Resource": function.arn
            + (f":{params['Qualifier']}" if params.get("Qualifier") else ""),
        }
        condition: dict = {}
        if "SourceArn" in params:
            condition["ArnLike"] = {"AWS:SourceArn": params["SourceArn"]}
        if "SourceAccount" in params:
            condition["StringEquals"] = {"AWS:SourceAccount": params["SourceAccount"]}
        if condition:
            statement["Condition"] = condition
        function.policy[sid] = statement
        return {"Statement": json.dumps(statement)}

    def remove_permission(self: LambdaService, params: dict) -> dict:
        """RemovePermission."""
        function = self.get_function_named(params["FunctionName"])
        if function.policy.pop(params["StatementId"], None) is None:
            raise not_found(f"Statement {params['StatementId']} is not found in resource policy.")
        return {}

    def get_policy(self: LambdaService, params: dict) -> dict:
        """GetPolicy."""
        function = self.get_function_named(params["FunctionName"])
        if not function.policy:
            raise not_found("The resource you requested does not exist.")
        policy = {
            "Version": "2012-10-17",
            "Id": "default",
            "Statement": list(function.policy.values()),
        }
        return {"Policy": json.dumps(policy), "RevisionId": function.latest.revision_id}
