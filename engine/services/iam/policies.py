"""IAM policies: managed policies and their versions, inline policies, attachments, boundaries."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from ...arn import parse_arn
from ...ids import Ids
from .documents import check_identity_policy, size_without_whitespace
from .entities import ManagedPolicy, PolicyVersion, Principal
from .shapes import attached_list, document_value, group_shape, policy_shape, role_shape, user_shape
from .store import (
    INLINE_SIZE,
    MANAGED_POLICY_SIZE,
    MAX_ATTACHED_POLICIES,
    MAX_POLICY_VERSIONS,
    IamStore,
    add_tags,
    already_exists,
    delete_conflict,
    limit_exceeded,
    no_such_entity,
    page,
    remove_tags,
    tag_list,
    validation,
)
from .users import unique_id

#: Entity kind → the boto3 parameter that names it.
KINDS = {"user": "UserName", "group": "GroupName", "role": "RoleName"}
AWS_MANAGED_FILE = Path(__file__).with_name("aws_managed_policies.json")


@cache
def _aws_managed_documents() -> dict[str, dict[str, Any]]:
    """The AWS managed policies templates and fixtures commonly attach.

    AWS's published documents, as collected in LocalStack's aws_managed_policies.json
    (Copyright (c) 2017+ LocalStack contributors, Apache License 2.0).
    """
    return json.loads(AWS_MANAGED_FILE.read_text())


def load_aws_managed(store: IamStore) -> None:
    """Give the account AWS's common managed policies (`arn:aws:iam::aws:policy/…`)."""
    for name, data in _aws_managed_documents().items():
        created = datetime.fromisoformat(data["CreateDate"]).timestamp()
        updated = datetime.fromisoformat(data.get("UpdateDate") or data["CreateDate"]).timestamp()
        version = data["DefaultVersionId"]
        arn = f"arn:aws:iam::aws:policy{data['Path']}{name}"
        store.policies[arn] = ManagedPolicy(
            name,
            "ANPA" + name.upper()[:17].ljust(17, "X"),
            arn,
            data["Path"],
            created,
            updated,
            description=data.get("Description"),
            default_version=version,
            versions={version: PolicyVersion(version, json.dumps(data["Document"]), created)},
            aws_managed=True,
        )


class PolicyOperations:
    """Managed and inline policies, attached to users, groups and roles."""

    def __init__(self, store: IamStore, ids: Ids) -> None:
        self.store = store
        self.ids = ids

    def bind(self, target: Any) -> None:
        """Give `target` the per-kind operations (put_user_policy, attach_role_policy …)."""
        for kind in KINDS:
            for operation, factory in (
                ("put_{}_policy", self._put_inline),
                ("get_{}_policy", self._get_inline),
                ("delete_{}_policy", self._delete_inline),
                ("list_{}_policies", self._list_inline),
                ("attach_{}_policy", self._attach),
                ("detach_{}_policy", self._detach),
                ("list_attached_{}_policies", self._list_attached),
            ):
                setattr(target, operation.format(kind), factory(kind))
        for kind in ("user", "role"):
            setattr(target, f"put_{kind}_permissions_boundary", self._put_boundary(kind))
            setattr(target, f"delete_{kind}_permissions_boundary", self._delete_boundary(kind))

    def entity(self, kind: str, name: str) -> Principal:
        """The user, group or role `name`, or NoSuchEntity."""
        return getattr(self.store, kind)(name)

    # -- managed policies -------------------------------------------------------------------------
    def _check_managed(self, text: str) -> None:
        check_identity_policy(text)
        if size_without_whitespace(text) > MANAGED_POLICY_SIZE:
            raise limit_exceeded(f"Cannot exceed quota for PolicySize: {MANAGED_POLICY_SIZE}")

    def create_policy(self, params: dict) -> dict:
        store = self.store
        name = params["PolicyName"]
        path = params.get("Path", "/")
        arn = store.iam_arn("policy", path, name)
        if any(p.name == name and not p.aws_managed for p in store.policies.values()):
            raise already_exists(
                f"A policy called {name} already exists. Duplicate names are not allowed."
            )
        text = params["PolicyDocument"]
        self._check_managed(text)
        tags: dict[str, str] = {}
        add_tags(tags, params.get("Tags", []))
        now = store.now()
        policy = ManagedPolicy(
            name,
            unique_id(self.ids, "ANPA"),
            arn,
            path,
            now,
            now,
            description=params.get("Description"),
            versions={"v1": PolicyVersion("v1", text, now)},
            tags=tags,
        )
        store.policies[arn] = policy
        return {"Policy": policy_shape(store, policy)}

    def get_policy(self, params: dict) -> dict:
        return {"Policy": policy_shape(self.store, self._policy(params["PolicyArn"]))}

    def _policy(self, arn: str) -> ManagedPolicy:
        policy = self.store.policies.get(arn)
        if policy is None:
            raise no_such_entity(f"Policy {arn} was not found.")
        return policy

    def list_policies(self, params: dict) -> dict:
        store = self.store
        scope = params.get("Scope", "All")
        prefix = params.get("PathPrefix", "/")
        attached_only = params.get("OnlyAttached", False)
        policies = [
            policy_shape(store, p, tags=False)
            for p in sorted(store.policies.values(), key=lambda p: p.name.lower())
            if p.path.startswith(prefix)
            and (scope == "All" or (scope == "AWS") == p.aws_managed)
            and (not attached_only or p.attached_to)
        ]
        return page(policies, params, "Policies")

    def delete_policy(self, params: dict) -> dict:
        store = self.store
        policy = self._policy(params["PolicyArn"])
        if policy.attached_to:
            raise delete_conflict("Cannot delete a policy attached to entities.")
        if len(policy.versions) > 1:
            raise delete_conflict(
                "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy."
            )
        del store.policies[policy.arn]
        store.changed()
        return {}

    def create_policy_version(self, params: dict) -> dict:
        store = self.store
        policy = self._policy(params["PolicyArn"])
        if len(policy.versions) >= MAX_POLICY_VERSIONS:
            raise limit_exceeded(
                "A managed policy can have up to 5 versions. Before you create a new version, "
                "you must delete an existing version."
            )
        text = params["PolicyDocument"]
        self._check_managed(text)
        version = PolicyVersion(f"v{policy.next_version}", text, store.now())
        policy.next_version += 1
        policy.versions[version.version_id] = version
        if params.get("SetAsDefault"):
            policy.default_version = version.version_id
            store.changed()
        policy.updated = version.created
        return {"PolicyVersion": self._version_shape(policy, version, document=False)}

    def _version_shape(
        self, policy: ManagedPolicy, version: PolicyVersion, *, document: bool = True
    ) -> dict[str, Any]:
        shape: dict[str, Any] = {
            "VersionId": version.version_id,
            "IsDefaultVersion": version.version_id == policy.default_version,
            "CreateDate": self.store.timestamp(version.created),
        }
        if document:
            shape["Document"] = document_value(version.document)
        return shape

    def _version(self, params: dict) -> tuple[ManagedPolicy, PolicyVersion]:
        policy = self._policy(params["PolicyArn"])
        version = policy.versions.get(params["VersionId"])
        if version is None:
            raise no_such_entity(
                f"Policy {policy.arn} version {params['VersionId']} does not exist or is not attachable."
            )
        return policy, version

    def get_policy_version(self, params: dict) -> dict:
        policy, version = self._version(params)
        return {"PolicyVersion": self._version_shape(policy, version)}

    def list_policy_versions(self, params: dict) -> dict:
        policy = self._policy(params["PolicyArn"])
        versions = [
            self._version_shape(policy, v) for v in reversed(list(policy.versions.values()))
        ]
        return page(versions, params, "Versions")

    def delete_policy_version(self, params: dict) -> dict:
        policy, version = self._version(params)
        if version.version_id == policy.default_version:
            raise delete_conflict("Cannot delete the default version of a policy.")
        del policy.versions[version.version_id]
        return {}

    def set_default_policy_version(self, params: dict) -> dict:
        policy, version = self._version(params)
        policy.default_version = version.version_id
        policy.updated = self.store.now()
        self.store.changed()
        return {}

    def tag_policy(self, params: dict) -> dict:
        add_tags(self._policy(params["PolicyArn"]).tags, params["Tags"])
        return {}

    def untag_policy(self, params: dict) -> dict:
        remove_tags(self._policy(params["PolicyArn"]).tags, params["TagKeys"])
        return {}

    def list_policy_tags(self, params: dict) -> dict:
        return page(tag_list(self._policy(params["PolicyArn"]).tags), params, "Tags")

    def list_entities_for_policy(self, params: dict) -> dict:
        store = self.store
        policy = self._policy(params["PolicyArn"])
        result: dict[str, Any] = {"PolicyGroups": [], "PolicyUsers": [], "PolicyRoles": []}
        for kind, key, id_key, name_key, table in (
            ("group", "PolicyGroups", "GroupId", "GroupName", store.groups),
            ("user", "PolicyUsers", "UserId", "UserName", store.users),
            ("role", "PolicyRoles", "RoleId", "RoleName", store.roles),
        ):
            wanted = params.get("EntityFilter")
            if wanted and wanted.lower() not in (kind, "localmanagedpolicy", "awsmanagedpolicy"):
                continue
            for entity in table.values():
                if entity.arn in policy.attached_to:
                    result[key].append({name_key: entity.name, id_key: entity.entity_id})
        return {**result, "IsTruncated": False}

    # -- inline policies (per kind) -----------------------------------------------------------------
    def _put_inline(self, kind: str) -> Callable[[dict], dict]:
        def put(params: dict) -> dict:
            entity = self.entity(kind, params[KINDS[kind]])
            text = params["PolicyDocument"]
            check_identity_policy(text)
            others = sum(
                size_without_whitespace(t)
                for n, t in entity.inline.items()
                if n != params["PolicyName"]
            )
            if others + size_without_whitespace(text) > INLINE_SIZE[kind]:
                raise limit_exceeded(
                    f"Maximum policy size of {INLINE_SIZE[kind]} bytes exceeded for {kind} "
                    f"{entity.name}"
                )
            entity.inline[params["PolicyName"]] = text
            self.store.changed()
            return {}

        return put

    def _inline(self, kind: str, params: dict) -> tuple[Principal, str]:
        entity = self.entity(kind, params[KINDS[kind]])
        name = params["PolicyName"]
        if name not in entity.inline:
            raise no_such_entity(f"The {kind} policy with name {name} cannot be found.")
        return entity, name

    def _get_inline(self, kind: str) -> Callable[[dict], dict]:
        def get(params: dict) -> dict:
            entity, name = self._inline(kind, params)
            return {
                KINDS[kind]: entity.name,
                "PolicyName": name,
                "PolicyDocument": document_value(entity.inline[name]),
            }

        return get

    def _delete_inline(self, kind: str) -> Callable[[dict], dict]:
        def delete(params: dict) -> dict:
            entity, name = self._inline(kind, params)
            del entity.inline[name]
            self.store.changed()
            return {}

        return delete

    def _list_inline(self, kind: str) -> Callable[[dict], dict]:
        def list_names(params: dict) -> dict:
            entity = self.entity(kind, params[KINDS[kind]])
            return page(sorted(entity.inline), params, "PolicyNames")

        return list_names

    # -- attachments ------------------------------------------------------------------------------
    def _attach(self, kind: str) -> Callable[[dict], dict]:
        def attach(params: dict) -> dict:
            entity = self.entity(kind, params[KINDS[kind]])
            policy = self.store.policy(_parsed_arn(params["PolicyArn"]))
            if policy.arn not in entity.attached:
                if len(entity.attached) >= MAX_ATTACHED_POLICIES:
                    label = {"user": "User", "group": "Group", "role": "Role"}[kind]
                    raise limit_exceeded(
                        f"Cannot exceed quota for PoliciesPer{label}: {MAX_ATTACHED_POLICIES}"
                    )
                entity.attached.append(policy.arn)
                policy.attached_to.add(entity.arn)
                self.store.changed()
            return {}

        return attach

    def _detach(self, kind: str) -> Callable[[dict], dict]:
        def detach(params: dict) -> dict:
            entity = self.entity(kind, params[KINDS[kind]])
            arn = _parsed_arn(params["PolicyArn"])
            if arn not in entity.attached:
                raise no_such_entity(f"Policy {arn} was not found.")
            entity.attached.remove(arn)
            if arn in self.store.policies:
                self.store.policies[arn].attached_to.discard(entity.arn)
            self.store.changed()
            return {}

        return detach

    def _list_attached(self, kind: str) -> Callable[[dict], dict]:
        def list_attached(params: dict) -> dict:
            entity = self.entity(kind, params[KINDS[kind]])
            prefix = params.get("PathPrefix", "/")
            policies = self.store.policies
            arns = [
                a
                for a in entity.attached
                if a not in policies or policies[a].path.startswith(prefix)
            ]
            return page(attached_list(self.store, arns), params, "AttachedPolicies")

        return list_attached

    # -- permissions boundaries ---------------------------------------------------------------------
    def _put_boundary(self, kind: str) -> Callable[[dict], dict]:
        def put(params: dict) -> dict:
            entity = self.entity(kind, params[KINDS[kind]])
            arn = params["PermissionsBoundary"]
            policy = self.store.policy(arn)
            if entity.boundary and entity.boundary in self.store.policies:
                self.store.policies[entity.boundary].boundary_of.discard(entity.arn)
            entity.boundary = arn
            policy.boundary_of.add(entity.arn)
            self.store.changed()
            return {}

        return put

    def _delete_boundary(self, kind: str) -> Callable[[dict], dict]:
        def delete(params: dict) -> dict:
            entity = self.entity(kind, params[KINDS[kind]])
            if entity.boundary and entity.boundary in self.store.policies:
                self.store.policies[entity.boundary].boundary_of.discard(entity.arn)
            entity.boundary = None
            self.store.changed()
            return {}

        return delete

    # -- the whole account ------------------------------------------------------------------------
    def get_account_authorization_details(self, params: dict) -> dict:
        store = self.store
        wanted = set(
            params.get("Filter")
            or ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"]
        )
        result: dict[str, Any] = {
            "UserDetailList": [],
            "GroupDetailList": [],
            "RoleDetailList": [],
            "Policies": [],
            "IsTruncated": False,
        }

        def inline(entity: Principal) -> list[dict[str, Any]]:
            return [
                {"PolicyName": n, "PolicyDocument": document_value(t)}
                for n, t in entity.inline.items()
            ]

        if "User" in wanted:
            for user in store.users.values():
                shape = user_shape(store, user)
                result["UserDetailList"].append(
                    {
                        **shape,
                        "UserPolicyList": inline(user),
                        "GroupList": list(user.groups),
                        "AttachedManagedPolicies": attached_list(store, user.attached),
                    }
                )
        if "Group" in wanted:
            for group in store.groups.values():
                result["GroupDetailList"].append(
                    {
                        **group_shape(store, group),
                        "GroupPolicyList": inline(group),
                        "AttachedManagedPolicies": attached_list(store, group.attached),
                    }
                )
        if "Role" in wanted:
            for role in store.roles.values():
                shape = role_shape(store, role)
                result["RoleDetailList"].append(
                    {
                        **shape,
                        "InstanceProfileList": [
                            {
                                "Path": store.profiles[p].path,
                                "InstanceProfileName": p,
                                "InstanceProfileId": store.profiles[p].profile_id,
                                "Arn": store.profiles[p].arn,
                                "CreateDate": store.timestamp(store.profiles[p].created),
                                "Roles": [role_shape(store, role, detail=False)],
                            }
                            for p in role.instance_profiles
                        ],
                        "RolePolicyList": inline(role),
                        "AttachedManagedPolicies": attached_list(store, role.attached),
                    }
                )
        for policy in store.policies.values():
            label = "AWSManagedPolicy" if policy.aws_managed else "LocalManagedPolicy"
            if label in wanted:
                shape = policy_shape(store, policy, tags=False)
                shape["PolicyVersionList"] = [
                    self._version_shape(policy, v) for v in policy.versions.values()
                ]
                result["Policies"].append(shape)
        return result


def _parsed_arn(arn: str) -> str:
    """A policy ARN IAM can parse, or its ValidationError."""
    if parse_arn(arn) is None:
        raise validation("Invalid ARN:  Could not be parsed!")
    return arn
