"""PublishVersion, ListVersionsByFunction and aliases with routing weights."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from .describe import (
    alias_description,
    configuration,
    conflict,
    invalid,
    listed,
    not_found,
    timestamp_text,
)
from .models import Alias, Function, FunctionVersion

if TYPE_CHECKING:
    from .service import LambdaService

ALIAS_NAME = re.compile(r"^(?!^[0-9]+$)([a-zA-Z0-9-_]+)$")


class VersionOperations:
    """Lambda operations on versions and aliases (mixed into LambdaService)."""

    def publish(self: LambdaService, function: Function, description: str) -> FunctionVersion:
        """Snapshot $LATEST as the next numbered version (or return the last if unchanged)."""
        latest = function.latest
        if function.versions:
            last = function.versions[str(function.next_version - 1)]
            if (
                last.code_sha256 == latest.code_sha256
                and last.source_revision == latest.revision_id
            ):
                return last
        number = str(function.next_version)
        function.next_version += 1
        version = replace(
            latest,
            version=number,
            arn=f"{function.arn}:{number}",
            description=description or latest.description,
            environment=dict(latest.environment),
            idle=[],
            env_seq=0,
            last_modified=timestamp_text(self.clock.now()),
        )
        # A version has its own revision, and publishing gives $LATEST a new one too (as on
        # AWS); the version remembers it, so unchanged code is not re-published.
        version.revision_id = self.ids.uuid()
        latest.revision_id = self.ids.uuid()
        version.source_revision = latest.revision_id
        function.versions[number] = version
        self.emit("created", function.arn, version=number)
        return version

    def publish_version(self: LambdaService, params: dict) -> dict:
        """PublishVersion."""
        function = self.get_function_named(params["FunctionName"])
        latest = function.latest
        if "CodeSha256" in params and params["CodeSha256"] != latest.code_sha256:
            raise invalid(
                f"CodeSHA256 ({params['CodeSha256']}) is different from current CodeSHA256 in "
                f"$LATEST ({latest.code_sha256}). Please try again with the current CodeSHA256."
            )
        self._check_revision(latest.revision_id, params.get("RevisionId"))
        return configuration(function, self.publish(function, params.get("Description", "")))

    def list_versions_by_function(self: LambdaService, params: dict) -> dict:
        """ListVersionsByFunction: $LATEST then the numbered versions."""
        function = self.get_function_named(params["FunctionName"])
        configs = [listed(configuration(function, function.latest, qualifier="$LATEST"))]
        configs.extend(listed(configuration(function, v)) for v in function.versions.values())
        return self.paginate(configs, params, "Versions")

    # -- aliases ------------------------------------------------------------------------------
    def _check_routing(
        self: LambdaService, function: Function, primary: str, routing: dict | None
    ) -> dict[str, float]:
        weights = dict((routing or {}).get("AdditionalVersionWeights") or {})
        for extra, weight in weights.items():
            if extra not in function.versions:
                raise invalid(f"Function version {extra} does not exist.")
            if extra == primary:
                raise invalid(
                    "Invalid function version in RoutingConfig. The additional version must be "
                    "different from the primary version."
                )
            if primary == "$LATEST":
                raise invalid(
                    "$LATEST is not supported for an alias pointing to more than 1 version"
                )
            if not 0.0 <= weight <= 1.0:
                raise invalid("Additional version weight must be between 0.0 and 1.0.")
        if len(weights) > 1:
            raise invalid("Alias may point to at most two versions.")
        return weights

    def _check_version_exists(self: LambdaService, function: Function, version: str) -> None:
        if function.version(version) is None:
            raise not_found(f"Function not found: {function.arn}:{version}")

    def create_alias(self: LambdaService, params: dict) -> dict:
        """CreateAlias."""
        function = self.get_function_named(params["FunctionName"])
        name = params["Name"]
        if not ALIAS_NAME.match(name):
            raise invalid(f"Invalid alias name: {name}")
        self._check_version_exists(function, params["FunctionVersion"])
        weights = self._check_routing(
            function, params["FunctionVersion"], params.get("RoutingConfig")
        )
        arn = f"{function.arn}:{name}"
        if name in function.aliases:
            raise conflict(f"Alias already exists: {arn}")
        alias = Alias(
            name,
            arn,
            params["FunctionVersion"],
            params.get("Description", ""),
            weights,
            self.ids.uuid(),
        )
        function.aliases[name] = alias
        return alias_description(alias)

    def _alias(self: LambdaService, params: dict) -> tuple[Function, Alias]:
        function = self.get_function_named(params["FunctionName"])
        alias = function.aliases.get(params["Name"])
        if alias is None:
            raise not_found(f"Alias not found: {function.arn}:{params['Name']}")
        return function, alias

    def get_alias(self: LambdaService, params: dict) -> dict:
        """GetAlias."""
        return alias_description(self._alias(params)[1])

    def update_alias(self: LambdaService, params: dict) -> dict:
        """UpdateAlias: version, description, routing weights."""
        function, alias = self._alias(params)
        self._check_revision(alias.revision_id, params.get("RevisionId"))
        version = params.get("FunctionVersion", alias.version)
        self._check_version_exists(function, version)
        routing = params.get("RoutingConfig")
        weights = (
            self._check_routing(function, version, routing)
            if routing is not None
            else self._check_routing(
                function, version, {"AdditionalVersionWeights": alias.additional}
            )
        )
        alias.version = version
        alias.additional = weights
        alias.description = params.get("Description", alias.description)
        alias.revision_id = self.ids.uuid()
        return alias_description(alias)

    def delete_alias(self: LambdaService, params: dict) -> dict:
        """DeleteAlias (deleting a missing alias succeeds, as on AWS)."""
        function = self.get_function_named(params["FunctionName"])
        function.aliases.pop(params["Name"], None)
        return {}

    def list_aliases(self: LambdaService, params: dict) -> dict:
        """ListAliases, optionally only those pointing at FunctionVersion."""
        function = self.get_function_named(params["FunctionName"])
        wanted = params.get("FunctionVersion")
        aliases = [
            alias_description(a)
            for a in function.aliases.values()
            if wanted is None or a.version == wanted
        ]
        return self.paginate(aliases, params, "Aliases")
