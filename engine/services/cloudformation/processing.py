"""From a request to a deployable template: fetch, parse, check, parameters, transforms, lint."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from engine.errors import ServiceError

from .include import expand_includes, is_include
from .language import LANGUAGE_EXTENSIONS, expand_for_each, uses_language_extensions
from .lint import lint_template
from .parameters import parse_given, resolve_parameters
from .sam import SAM_TRANSFORM, translate, uses_sam
from .template import parse_template, template_error

if TYPE_CHECKING:
    from .service import CloudFormationService

_LOGICAL_ID = re.compile(r"[A-Za-z0-9]+")
_IAM_TYPES = ("AWS::IAM::",)
_SUPPORTED_TRANSFORMS = (SAM_TRANSFORM, LANGUAGE_EXTENSIONS)
#: A lab setting: "off" skips cfn-lint, "warn" never stops a deploy.
LINT_SETTING = "cloudformation.lint"


@dataclass(slots=True)
class Prepared:
    """A template ready to plan: the text, the parsed original, the processed form, parameters."""

    body: str
    original: dict[str, Any]
    template: dict[str, Any]
    values: dict[str, Any]
    given: dict[str, str]
    warnings: list[str] = field(default_factory=list)


class TemplateProcessor:
    """Turns CreateStack/UpdateStack/CreateChangeSet inputs into a processed template."""

    def __init__(self, service: CloudFormationService) -> None:
        self.service = service
        self.engine = service.engine
        #: API calls (CreateStack, CreateChangeSet …) answer as AWS does, which runs no linter;
        #: the lab's `deploy` lints ("on") unless the lab setting says otherwise.
        self.default_lint = "off"

    def body(self, params: dict[str, Any], previous: str | None = None) -> str:
        """The template text: TemplateBody, TemplateURL (the lab's S3) or the previous template."""
        if params.get("UsePreviousTemplate"):
            if previous is None:
                raise ServiceError(
                    "ValidationError", "UsePreviousTemplate requires an existing stack"
                )
            return previous
        if params.get("TemplateBody"):
            return params["TemplateBody"]
        url = params.get("TemplateURL")
        if url:
            return self._fetch(url)
        raise ServiceError(
            "ValidationError", "Either Template URL or Template Body must be specified."
        )

    def _fetch(self, url: str) -> str:
        parsed = urlparse(url)
        if parsed.scheme == "s3":
            raise ServiceError(
                "ValidationError",
                f"S3 error: Domain name specified in {parsed.netloc} is not a valid S3 domain",
            )
        host = parsed.hostname or ""
        path = parsed.path.lstrip("/")
        if parsed.scheme not in ("http", "https") or not host:
            raise ServiceError("ValidationError", "TemplateURL must be a supported URL.")
        s3_host = host.endswith(".amazonaws.com") or _is_lab(host)
        if s3_host and ".s3" in host and not host.startswith("s3"):
            bucket, key = host.split(".s3", 1)[0], path  # virtual-hosted style
        elif s3_host:
            bucket, _, key = path.partition("/")  # path style, or the lab's own endpoint
        else:
            raise ServiceError("ValidationError", "TemplateURL must be a supported URL.")
        try:
            data = self.engine.service("s3").get_object_internal(bucket, key)
        except ServiceError:
            raise ServiceError("ValidationError", "S3 error: Access Denied") from None
        return data.decode() if isinstance(data, bytes) else str(data)

    def parse(self, body: str) -> dict[str, Any]:
        """The parsed template, its structure checked as CloudFormation checks it."""
        template = parse_template(body)
        check_structure(template)
        return template

    async def prepare(
        self,
        params: dict[str, Any],
        *,
        previous_body: str | None = None,
        previous_values: dict[str, str] | None = None,
        base: Path | None = None,
        require_capabilities: bool = True,
    ) -> Prepared:
        """Everything up to planning; raises ValidationError (nothing has changed yet)."""
        body = self.body(params, previous_body)
        original = self.parse(body)
        given = parse_given(params.get("Parameters") or [], previous_values)
        declared = original.get("Parameters") or {}
        transforms = _transforms(original)
        for transform in transforms:
            if isinstance(transform, dict) and not isinstance(transform.get("Name"), str):
                raise ServiceError(
                    "ValidationError", "Key Name of transform definition must be a string."
                )
        unknown = [t for t in transforms if t not in _SUPPORTED_TRANSFORMS and not is_include(t)]
        if unknown:
            raise ServiceError(
                "ValidationError",
                f"Template format error: Unsupported transform(s): {', '.join(map(str, unknown))}. "
                "The lab runs AWS::Serverless-2016-10-31 and AWS::LanguageExtensions.",
            )
        capabilities = set(params.get("Capabilities") or [])
        if transforms and require_capabilities and "CAPABILITY_AUTO_EXPAND" not in capabilities:
            raise ServiceError(
                "InsufficientCapabilitiesException",
                "Requires capabilities : [CAPABILITY_AUTO_EXPAND]",
            )
        values = resolve_parameters(declared, given, self._ssm_lookup())
        template = self._includes(original, values, params.get("StackName", ""))
        if uses_language_extensions(original):
            template = expand_for_each(template, values)
            template = _without_transform(template, LANGUAGE_EXTENSIONS)
        if uses_sam(template):
            if base is not None:
                from .sam import package_local_code

                template = await package_local_code(template, base, self.service.upload_artifact)
            template = translate(template, values, self.engine.region, self.engine.account_id)
            template = _without_transform(template, SAM_TRANSFORM)
        check_structure(template)
        if template.get("Rules") or original.get("Rules"):
            from .intrinsics import Scope
            from .rules import check_rules

            scope = Scope(
                self.engine.region,
                self.engine.account_id,
                params.get("StackName", ""),
                "",
                parameters=values,
            )
            check_rules(template.get("Rules") or original.get("Rules"), scope)
        self._check_capabilities(template, capabilities)
        warnings = self._lint(template)
        return Prepared(body, original, template, values, given, warnings)

    def _includes(
        self, template: dict[str, Any], values: dict[str, Any], stack_name: str
    ) -> dict[str, Any]:
        """The template with its AWS::Include snippets read from the lab's S3."""
        from .intrinsics import Resolver, Scope

        resolver = Resolver(
            Scope(self.engine.region, self.engine.account_id, stack_name, "", parameters=values)
        )

        def read(bucket: str, key: str) -> bytes:
            s3: Any = self.engine.service("s3")
            return s3.get_object_internal(bucket, key)

        return expand_includes(template, read, resolver.resolve)

    def _ssm_lookup(self) -> Any:
        if "ssm" in self.engine.available_services():
            return getattr(self.engine.service("ssm"), "parameter_value", None)
        return lab_parameter

    def _check_capabilities(self, template: dict[str, Any], capabilities: set[str]) -> None:
        needed = None
        for definition in (template.get("Resources") or {}).values():
            kind = definition.get("Type", "")
            if kind.startswith(_IAM_TYPES):
                props = definition.get("Properties") or {}
                named = any(
                    key in props
                    for key in (
                        "RoleName",
                        "UserName",
                        "GroupName",
                        "ManagedPolicyName",
                        "InstanceProfileName",
                    )
                )
                if named:
                    needed = "CAPABILITY_NAMED_IAM"
                elif needed is None:
                    needed = "CAPABILITY_IAM"
        if needed is None:
            return
        if needed in capabilities or (
            needed == "CAPABILITY_IAM" and "CAPABILITY_NAMED_IAM" in capabilities
        ):
            return
        raise ServiceError(
            "InsufficientCapabilitiesException", f"Requires capabilities : [{needed}]"
        )

    def _lint(self, template: dict[str, Any]) -> list[str]:
        mode = self.engine.settings.get(LINT_SETTING, self.default_lint)
        if mode == "off":
            return []
        report = lint_template(template, self.engine.region)
        if report.errors and mode != "warn":
            raise ServiceError(
                "ValidationError", "Template format error: " + "; ".join(report.errors[:5])
            )
        return report.errors + report.warnings


def _is_lab(host: str) -> bool:
    """Whether a TemplateURL's host is the lab's own endpoint (loopback)."""
    return host in ("127.0.0.1", "::1", "localhost") or "localhost" in host.split(".")


#: The bootstrap stack version the lab reports: the lab counts as a CDK-bootstrapped account.
CDK_BOOTSTRAP_VERSION = "30"


def lab_parameter(name: str) -> str:
    """The SSM parameters a lab without SSM still has: CDK's bootstrap version; others fail."""
    if name.startswith("/cdk-bootstrap/") and name.endswith("/version"):
        return CDK_BOOTSTRAP_VERSION
    raise ServiceError(
        "ValidationError",
        f"Unable to fetch parameters [{name}] from parameter store for this account.",
    )


def _transforms(template: dict[str, Any]) -> list[Any]:
    transform = template.get("Transform")
    if transform is None:
        return []
    return list(transform) if isinstance(transform, list) else [transform]


def _without_transform(template: dict[str, Any], name: str) -> dict[str, Any]:
    result = dict(template)
    remaining = [t for t in _transforms(template) if t != name]
    if remaining:
        result["Transform"] = remaining
    else:
        result.pop("Transform", None)
    return result


def check_structure(template: dict[str, Any]) -> None:
    """CloudFormation's template format checks (sections, resources, outputs, mappings)."""
    resources = template.get("Resources")
    if not resources:
        raise template_error("At least one Resources member must be defined.")
    if not isinstance(resources, dict):
        raise template_error("Resources must be an object.")
    for logical_id, definition in resources.items():
        if str(logical_id).startswith("Fn::ForEach::"):
            continue  # expanded by AWS::LanguageExtensions before anything reads it
        if not isinstance(definition, dict):
            raise template_error("Any Resources member must be an object.")
        if not _LOGICAL_ID.fullmatch(str(logical_id)):
            raise template_error(f"Resource name {logical_id} is non alphanumeric.")
        if "Type" not in definition:
            raise template_error(
                f"[/Resources/{logical_id}] Every Resources object must contain a Type member."
            )
    for name, mapping in (template.get("Mappings") or {}).items():
        if not isinstance(mapping, dict):
            raise template_error(f"Every Mappings member {name} must be a map")
        for top in mapping.values():
            if not isinstance(top, dict):
                raise template_error(f"Every Mappings member {name} must be a map")
            for value in top.values():
                if not isinstance(value, (str, list, int, float, bool)):
                    raise template_error("Every Mappings attribute must be a String or a List.")
    for key, output in (template.get("Outputs") or {}).items():
        if not isinstance(output, dict) or "Value" not in output:
            raise template_error("Every Outputs member must contain a Value object")
        if output["Value"] is None:
            raise ServiceError(
                "ValidationError",
                f"[/Outputs/{key}/Value] 'null' values are not allowed in templates",
            )
