"""IAM's policy grammar: check a policy document as IAM does before it stores one.

Identity policies (managed and inline) must not name a Principal; trust and resource policies
must. Messages are IAM's own (`MalformedPolicyDocument`).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

from ...errors import ServiceError
from ...iam_policy.conditions import condition_operator_known

VERSIONS = ("2008-10-17", "2012-10-17")
_TOP_KEYS = frozenset({"Version", "Id", "Statement"})
_STATEMENT_KEYS = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)
_ACTION = re.compile(r"^[a-zA-Z0-9*?-]+:[a-zA-Z0-9*?_-]*$")


def malformed(message: str) -> ServiceError:
    """IAM's error for a policy it cannot accept."""
    return ServiceError("MalformedPolicyDocument", message)


def parse_document(text: str) -> dict[str, Any]:
    """The JSON of a policy document (URL-encoded text is decoded first, as IAM accepts it)."""
    stripped = text.strip()
    if stripped.startswith("%7B") or stripped.startswith("%7b"):
        stripped = unquote(stripped)
    try:
        document = json.loads(stripped)
    except ValueError:
        raise malformed("This policy contains invalid Json") from None
    if not isinstance(document, dict):
        raise malformed("Syntax errors in policy.")
    return document


def statements_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The statements of a parsed document (one statement may stand alone, not in a list)."""
    statement = document.get("Statement", [])
    return [statement] if isinstance(statement, dict) else list(statement)


def check_identity_policy(text: str) -> dict[str, Any]:
    """Validate an identity-based policy (managed or inline); returns the parsed document."""
    return _check(text, kind="identity")


def check_trust_policy(text: str) -> dict[str, Any]:
    """Validate a role trust policy (a resource policy whose resource is the role)."""
    return _check(text, kind="trust")


def check_resource_policy(text: str) -> dict[str, Any]:
    """Validate a resource-based policy (queue, topic, bucket, function policy …)."""
    return _check(text, kind="resource")


def _check(text: str, *, kind: str) -> dict[str, Any]:
    document = parse_document(text)
    if set(document) - _TOP_KEYS:
        raise malformed("Syntax errors in policy.")
    version = document.get("Version")
    if version is not None and version not in VERSIONS:
        raise malformed("The policy must contain a valid version string")
    if "Statement" not in document:
        raise malformed("Syntax errors in policy.")
    raw = document["Statement"]
    if not isinstance(raw, dict | list) or (isinstance(raw, list) and not raw):
        raise malformed("Syntax errors in policy.")
    sids: set[str] = set()
    for statement in statements_of(document):
        _check_statement(statement, kind, sids)
    return document


def _check_statement(statement: Any, kind: str, sids: set[str]) -> None:
    if not isinstance(statement, dict) or set(statement) - _STATEMENT_KEYS:
        raise malformed("Syntax errors in policy.")
    sid = statement.get("Sid")
    if sid is not None:
        if not isinstance(sid, str):
            raise malformed("Syntax errors in policy.")
        if sid in sids and sid:
            raise malformed("Statement IDs (SID) in a single policy must be unique.")
        sids.add(sid)
    if statement.get("Effect") not in ("Allow", "Deny"):
        raise malformed("Syntax errors in policy.")
    if ("Action" in statement) == ("NotAction" in statement):
        raise malformed("Policy statement must contain actions.")
    has_principal = "Principal" in statement or "NotPrincipal" in statement
    if kind == "identity" and has_principal:
        raise malformed("Policy document should not specify a principal.")
    if kind != "identity" and not has_principal:
        raise malformed("Missing required field Principal")
    has_resource = "Resource" in statement or "NotResource" in statement
    if kind == "trust" and has_resource:
        raise malformed("Has prohibited field Resource")
    if kind == "identity" and not has_resource:
        raise malformed("Policy statement must contain resources.")
    if "Resource" in statement and "NotResource" in statement:
        raise malformed("Syntax errors in policy.")
    for key in ("Action", "NotAction"):
        if key in statement:
            for action in _strings(statement[key]):
                if action != "*" and not _ACTION.match(action):
                    if ":" not in action:
                        raise malformed(
                            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
                        )
                    raise malformed(f"Action {action} is not valid")
    for key in ("Resource", "NotResource"):
        if key in statement:
            for resource in _strings(statement[key]):
                if resource != "*" and not resource.startswith("arn:") and "${" not in resource:
                    raise malformed(f'Resource {resource} must be in ARN format or "*".')
                if resource.startswith("arn:") and resource.count(":") < 5:
                    raise malformed(f'Resource {resource} must be in ARN format or "*".')
    for key in ("Principal", "NotPrincipal"):
        if key in statement:
            _check_principal(statement[key])
    if "Condition" in statement:
        _check_condition(statement["Condition"])


def _strings(value: Any) -> list[str]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise malformed("Syntax errors in policy.")
    return values


def _check_principal(principal: Any) -> None:
    if principal == "*":
        return
    if not isinstance(principal, dict) or not principal:
        raise malformed("Syntax errors in policy.")
    for kind, values in principal.items():
        if kind not in ("AWS", "Service", "Federated", "CanonicalUser"):
            raise malformed(f'Invalid principal in policy: "{kind}"')
        for value in _strings(values):
            if kind == "AWS" and not _valid_aws_principal(value):
                raise malformed(f'Invalid principal in policy: "AWS":"{value}"')


def _valid_aws_principal(value: str) -> bool:
    if value == "*" or re.fullmatch(r"\d{12}", value):
        return True
    if re.fullmatch(r"A[A-Z0-9]{15,127}", value):  # a unique id (AIDA…, AROA…)
        return True
    return value.startswith("arn:") and value.count(":") >= 5


def _check_condition(condition: Any) -> None:
    if not isinstance(condition, dict):
        raise malformed("Syntax errors in policy.")
    for operator, block in condition.items():
        if not condition_operator_known(operator):
            raise malformed("Syntax errors in policy.")
        if not isinstance(block, dict):
            raise malformed("Syntax errors in policy.")
        for key, values in block.items():
            if ":" not in key:
                raise malformed(
                    "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
                )
            items = values if isinstance(values, list) else [values]
            if not all(isinstance(v, str | int | float | bool) for v in items):
                raise malformed("Syntax errors in policy.")


def size_without_whitespace(text: str) -> int:
    """A document's size as IAM counts it against quotas (whitespace not counted)."""
    return len(re.sub(r"\s", "", text))
