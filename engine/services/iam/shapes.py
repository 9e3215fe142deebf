"""IAM entities as boto3 shows them (User, Group, Role, Policy, InstanceProfile dicts)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from .entities import Group, InstanceProfile, ManagedPolicy, Role, User
from .store import IamStore, tag_list


def document_value(text: str) -> dict[str, Any]:
    """A stored policy document as boto3 returns it: decoded JSON (botocore decodes IAM's)."""
    try:
        return json.loads(text)
    except ValueError:
        return json.loads(unquote(text))


def boundary_shape(arn: str | None) -> dict[str, Any]:
    """The PermissionsBoundary member, or nothing."""
    if arn is None:
        return {}
    return {
        "PermissionsBoundary": {
            # What IAM answers (the model's enum says PermissionsBoundaryPolicy).
            "PermissionsBoundaryType": "Policy",
            "PermissionsBoundaryArn": arn,
        }
    }


def user_shape(store: IamStore, user: User, *, tags: bool = True) -> dict[str, Any]:
    """An IAM `User`."""
    shape: dict[str, Any] = {
        "Path": user.path,
        "UserName": user.name,
        "UserId": user.entity_id,
        "Arn": user.arn,
        "CreateDate": store.timestamp(user.created),
        **boundary_shape(user.boundary),
    }
    if tags and user.tags:
        shape["Tags"] = tag_list(user.tags)
    return shape


def group_shape(store: IamStore, group: Group) -> dict[str, Any]:
    """An IAM `Group`."""
    return {
        "Path": group.path,
        "GroupName": group.name,
        "GroupId": group.entity_id,
        "Arn": group.arn,
        "CreateDate": store.timestamp(group.created),
    }


def role_shape(store: IamStore, role: Role, *, detail: bool = True) -> dict[str, Any]:
    """An IAM `Role` (GetRole's detail adds RoleLastUsed and tags)."""
    shape: dict[str, Any] = {
        "Path": role.path,
        "RoleName": role.name,
        "RoleId": role.entity_id,
        "Arn": role.arn,
        "CreateDate": store.timestamp(role.created),
        "AssumeRolePolicyDocument": document_value(role.trust_policy),
        "MaxSessionDuration": role.max_session_duration,
    }
    if role.description is not None:
        shape["Description"] = role.description
    if detail:  # ListRoles leaves out the boundary, tags and last use
        shape.update(boundary_shape(role.boundary))
        if role.tags:
            shape["Tags"] = tag_list(role.tags)
        shape["RoleLastUsed"] = (
            {"LastUsedDate": store.timestamp(role.last_used), "Region": "us-east-1"}
            if role.last_used is not None
            else {}
        )
    return shape


def policy_shape(store: IamStore, policy: ManagedPolicy, *, tags: bool = True) -> dict[str, Any]:
    """An IAM managed `Policy`."""
    shape: dict[str, Any] = {
        "PolicyName": policy.name,
        "PolicyId": policy.policy_id,
        "Arn": policy.arn,
        "Path": policy.path,
        "DefaultVersionId": policy.default_version,
        "AttachmentCount": len(policy.attached_to),
        "PermissionsBoundaryUsageCount": len(policy.boundary_of),
        "IsAttachable": True,
        "CreateDate": store.timestamp(policy.created),
        "UpdateDate": store.timestamp(policy.updated),
    }
    if policy.description:
        shape["Description"] = policy.description
    if tags and policy.tags:
        shape["Tags"] = tag_list(policy.tags)
    return shape


def profile_shape(store: IamStore, profile: InstanceProfile) -> dict[str, Any]:
    """An IAM `InstanceProfile` with its roles."""
    shape: dict[str, Any] = {
        "Path": profile.path,
        "InstanceProfileName": profile.name,
        "InstanceProfileId": profile.profile_id,
        "Arn": profile.arn,
        "CreateDate": store.timestamp(profile.created),
        "Roles": [
            role_shape(store, store.roles[name], detail=False)
            for name in profile.roles
            if name in store.roles
        ],
    }
    if profile.tags:
        shape["Tags"] = tag_list(profile.tags)
    return shape


def attached_list(store: IamStore, arns: list[str]) -> list[dict[str, str]]:
    """AttachedPolicies entries."""
    return [{"PolicyName": arn.rsplit("/", 1)[-1], "PolicyArn": arn} for arn in arns]
