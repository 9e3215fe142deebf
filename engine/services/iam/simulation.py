"""The IAM policy simulator: SimulatePrincipalPolicy, SimulateCustomPolicy and their context keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...iam_policy.evaluator import (
    Decision,
    Match,
    Principal,
    Request,
    Source,
    compile_policy,
    evaluate,
)
from .documents import check_identity_policy, check_resource_policy
from .store import invalid_input, no_such_entity

if TYPE_CHECKING:
    from .service import IamService


class SimulationOperations:
    """Runs requests through the same evaluator enforcement uses."""

    def __init__(self, service: IamService) -> None:
        self._service = service

    def _principal(self, arn: str) -> Principal:
        store = self._service.store
        if store.user_by_arn(arn) is not None:
            return Principal(arn, store.account_id, "user")
        if store.role_by_arn(arn) is not None:
            return self._service.authorizer.role_principal(arn, "simulation")
        if ":group/" in arn:
            return Principal(arn, store.account_id, "group")
        raise invalid_input(
            f"Invalid Entity Arn: {arn} does not clearly define entity type and name."
        )

    def _identity_sources(
        self, principal: Principal, arn: str
    ) -> tuple[list[Source], Source | None]:
        store = self._service.store
        authorizer = self._service.authorizer
        if principal.kind == "group":
            name = arn.rsplit("/", 1)[-1]
            group = store.groups.get(name)
            if group is None or group.arn != arn:
                raise no_such_entity(f"The group with name {name} cannot be found.")
            return authorizer.entity_sources("group", group), None
        return authorizer.identity_sources(principal)

    def simulate_principal_policy(self, params: dict) -> dict:
        source_arn = params["PolicySourceArn"]
        principal = self._principal(source_arn)
        identity, boundary = self._identity_sources(principal, source_arn)
        extra = [
            Source(f"PolicyInputList.{i + 1}", check_text(text), "identity")
            for i, text in enumerate(params.get("PolicyInputList", []))
        ]
        return self._simulate(params, principal, identity + extra, boundary)

    def simulate_custom_policy(self, params: dict) -> dict:
        store = self._service.store
        identity = [
            Source(f"PolicyInputList.{i + 1}", check_text(text), "identity")
            for i, text in enumerate(params["PolicyInputList"])
        ]
        caller = params.get("CallerArn") or f"arn:aws:iam::{store.account_id}:user/simulated-user"
        principal = Principal(caller, store.account_id, "user")
        return self._simulate(params, principal, identity, None)

    def _simulate(
        self, params: dict, principal: Principal, identity: list[Source], boundary: Source | None
    ) -> dict:
        boundaries = params.get("PermissionsBoundaryPolicyInputList")
        if boundaries:
            boundary = Source(
                "PermissionsBoundaryPolicyInputList.1", check_text(boundaries[0]), "boundary"
            )
        resource_policy = None
        if params.get("ResourcePolicy"):
            check_resource_policy(params["ResourcePolicy"])
            resource_policy = Source("ResourcePolicy", params["ResourcePolicy"], "resource")
        context = context_entries(params.get("ContextEntries", []))
        owner = params.get("ResourceOwner", "")
        owner_account = owner.split(":")[4] if owner.count(":") >= 5 else ""
        results = []
        for action in params["ActionNames"]:
            for resource in params.get("ResourceArns") or ["*"]:
                decision = evaluate(
                    Request(principal, action, resource, context),
                    identity=identity,
                    resource=resource_policy,
                    resource_account=owner_account,
                    boundary=boundary,
                )
                results.append(self._result(action, resource, decision, context, identity))
        size = params.get("MaxItems", 100)
        start = int(params.get("Marker") or 0)
        chunk = results[start : start + size]
        answer: dict[str, Any] = {
            "EvaluationResults": chunk,
            "IsTruncated": start + size < len(results),
        }
        if answer["IsTruncated"]:
            answer["Marker"] = str(start + size)
        return answer

    def _result(
        self,
        action: str,
        resource: str,
        decision: Decision,
        context: dict[str, list[str]],
        identity: list[Source],
    ) -> dict[str, Any]:
        matched = [
            _statement_shape(m)
            for m in decision.matched
            if m.statement.effect == ("Deny" if decision.verdict == "explicitDeny" else "Allow")
        ]
        if decision.verdict == "implicitDeny":
            matched = []
        missing = sorted(
            {
                key
                for source in identity
                for key in condition_keys(source.text)
                if key.lower() not in context
            }
        )
        return {
            "EvalActionName": action,
            "EvalResourceName": resource,
            "EvalDecision": decision.verdict,
            "MatchedStatements": matched,
            "MissingContextValues": missing,
            "OrganizationsDecisionDetail": {"AllowedByOrganizations": True},
            "EvalDecisionDetails": {},
            "ResourceSpecificResults": [
                {
                    "EvalResourceName": resource,
                    "EvalResourceDecision": decision.verdict,
                    "MatchedStatements": matched,
                    "MissingContextValues": missing,
                }
            ],
        }

    def get_context_keys_for_custom_policy(self, params: dict) -> dict:
        keys = {k for text in params["PolicyInputList"] for k in condition_keys(text)}
        return {"ContextKeyNames": sorted(keys)}

    def get_context_keys_for_principal_policy(self, params: dict) -> dict:
        source_arn = params["PolicySourceArn"]
        principal = self._principal(source_arn)
        identity, _ = self._identity_sources(principal, source_arn)
        texts = [s.text for s in identity] + list(params.get("PolicyInputList", []))
        keys = {k for text in texts for k in condition_keys(text)}
        return {"ContextKeyNames": sorted(keys)}


def check_text(text: str) -> str:
    """A simulator input policy must be a valid identity policy."""
    check_identity_policy(text)
    return text


def condition_keys(text: str) -> set[str]:
    """The condition keys a policy's Condition blocks read."""
    keys: set[str] = set()
    policy = compile_policy(text)
    for statement in policy.statements:
        for entries in (statement.condition or {}).values():
            keys.update(entries)
    return keys


def context_entries(entries: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The simulator's ContextEntries as an evaluation context (keys lower-cased)."""
    return {
        entry["ContextKeyName"].lower(): [str(v) for v in entry.get("ContextKeyValues", [])]
        for entry in entries
    }


def _statement_shape(match: Match) -> dict[str, Any]:
    statement = match.statement
    source = match.source
    return {
        "SourcePolicyId": source.policy_id,
        "SourcePolicyType": "resource" if source.kind == "resource" else "IAM Policy",
        "StartPosition": {"Line": statement.start[0], "Column": statement.start[1]},
        "EndPosition": {"Line": statement.end[0], "Column": statement.end[1]},
    }
