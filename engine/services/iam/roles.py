"""IAM roles (trust policies, service-linked roles) and instance profiles."""

from __future__ import annotations

import json
from typing import Any

from ...errors import ServiceError
from ...ids import Ids
from .documents import check_trust_policy, size_without_whitespace
from .entities import InstanceProfile, Role
from .service_linked import SERVICE_LINKED_ROLES
from .shapes import profile_shape, role_shape
from .store import (
    TRUST_POLICY_SIZE,
    IamStore,
    add_tags,
    already_exists,
    delete_conflict,
    invalid_input,
    limit_exceeded,
    no_such_entity,
    page,
    remove_tags,
    tag_list,
)
from .users import unique_id


def service_linked_role_name(service: str, suffix: str | None) -> str:
    """The role AWS creates for `service` (`AWSServiceRoleFor…`), `_suffix` when given."""
    known = SERVICE_LINKED_ROLES.get(service)
    if known is not None:
        name = known[0]
    else:
        name = "AWSServiceRoleFor" + service.split(".")[0].capitalize()
    return f"{name}_{suffix}" if suffix else name


class RoleOperations:
    """Roles, their trust policies, and instance profiles."""

    def __init__(self, store: IamStore, ids: Ids) -> None:
        self.store = store
        self.ids = ids
        #: Finished service-linked role deletions by task id.
        self.deletions: dict[str, str] = {}

    # -- roles ---------------------------------------------------------------------------
    def _trust(self, text: str) -> str:
        check_trust_policy(text)
        if size_without_whitespace(text) > TRUST_POLICY_SIZE:
            raise limit_exceeded(f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_SIZE}")
        return text

    def create_role(self, params: dict) -> dict:
        store = self.store
        name = params["RoleName"]
        if name.lower() in {n.lower() for n in store.roles}:
            raise already_exists(f"Role with name {name} already exists.")
        trust = self._trust(params["AssumeRolePolicyDocument"])
        boundary = params.get("PermissionsBoundary")
        if boundary is not None:
            store.policy(boundary)
        tags: dict[str, str] = {}
        add_tags(tags, params.get("Tags", []))
        path = params.get("Path", "/")
        role = self._add_role(
            name,
            path,
            trust,
            description=params.get("Description"),
            max_session=params.get("MaxSessionDuration", 3600),
            tags=tags,
            boundary=boundary,
        )
        shape = role_shape(store, role, detail=False) | _tags_member(role)
        del shape["MaxSessionDuration"]  # CreateRole does not answer it (GetRole does)
        return {"Role": shape}

    def _add_role(self, name: str, path: str, trust: str, **options: Any) -> Role:
        store = self.store
        role = Role(
            name,
            unique_id(self.ids, "AROA"),
            store.iam_arn("role", path, name),
            path,
            store.now(),
            tags=options.get("tags") or {},
            boundary=options.get("boundary"),
            trust_policy=trust,
            description=options.get("description"),
            max_session_duration=options.get("max_session", 3600),
            service_linked=options.get("service_linked", False),
        )
        store.roles[name] = role
        if role.boundary is not None:
            store.policies[role.boundary].boundary_of.add(role.arn)
        store.changed()
        return role

    def get_role(self, params: dict) -> dict:
        return {"Role": role_shape(self.store, self.store.role(params["RoleName"]))}

    def list_roles(self, params: dict) -> dict:
        store = self.store
        prefix = params.get("PathPrefix", "/")
        roles = []
        for role in sorted(store.roles.values(), key=lambda r: r.name.lower()):
            if role.path.startswith(prefix):
                shape = role_shape(store, role, detail=False)
                roles.append(shape)
        return page(roles, params, "Roles")

    def update_role(self, params: dict) -> dict:
        role = self.store.role(params["RoleName"])
        if "Description" in params:
            role.description = params["Description"]
        if "MaxSessionDuration" in params:
            role.max_session_duration = params["MaxSessionDuration"]
        return {}

    def update_role_description(self, params: dict) -> dict:
        role = self.store.role(params["RoleName"])
        role.description = params["Description"]
        return {"Role": role_shape(self.store, role)}

    def update_assume_role_policy(self, params: dict) -> dict:
        role = self.store.role(params["RoleName"])
        role.trust_policy = self._trust(params["PolicyDocument"])
        self.store.changed()
        return {}

    def delete_role(self, params: dict) -> dict:
        store = self.store
        role = store.role(params["RoleName"])
        if role.service_linked:
            raise unmodifiable(role.name)
        self._check_deletable(role)
        self._remove_role(role)
        return {}

    def _check_deletable(self, role: Role) -> None:
        if role.instance_profiles:
            raise delete_conflict(
                "Cannot delete entity, must remove roles from instance profile first."
            )
        if role.inline:
            raise delete_conflict("Cannot delete entity, must delete policies first.")
        if role.attached and not role.service_linked:
            raise delete_conflict("Cannot delete entity, must detach all policies first.")

    def _remove_role(self, role: Role) -> None:
        store = self.store
        for arn in role.attached:
            if arn in store.policies:
                store.policies[arn].attached_to.discard(role.arn)
        if role.boundary and role.boundary in store.policies:
            store.policies[role.boundary].boundary_of.discard(role.arn)
        del store.roles[role.name]
        store.changed()

    def tag_role(self, params: dict) -> dict:
        add_tags(self.store.role(params["RoleName"]).tags, params["Tags"])
        return {}

    def untag_role(self, params: dict) -> dict:
        remove_tags(self.store.role(params["RoleName"]).tags, params["TagKeys"])
        return {}

    def list_role_tags(self, params: dict) -> dict:
        return page(tag_list(self.store.role(params["RoleName"]).tags), params, "Tags")

    # -- service-linked roles -----------------------------------------------------------------
    def create_service_linked_role(self, params: dict) -> dict:
        service = params["AWSServiceName"]
        suffix = params.get("CustomSuffix")
        known = SERVICE_LINKED_ROLES.get(service)
        if suffix and known is not None and not known[2]:
            raise invalid_input(f"Custom suffix is not allowed for {service}")
        name = service_linked_role_name(service, suffix)
        if name in self.store.roles:
            raise invalid_input(
                f"Service role name {name} has been taken in this account, please try a different suffix."
            )
        trust = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": service},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        )
        role = self._add_role(
            name,
            f"/aws-service-role/{service}/",
            trust,
            description=params.get("Description"),
            service_linked=True,
        )
        if known is not None:
            role.attached.extend(known[1])
        return {"Role": role_shape(self.store, role, detail=False)}

    def delete_service_linked_role(self, params: dict) -> dict:
        role = self.store.role(params["RoleName"])
        task = f"task/aws-service-role/{role.path.split('/')[2]}/{role.name}/{self.ids.uuid()}"
        role.attached.clear()
        role.instance_profiles.clear()
        role.inline.clear()
        self._remove_role(role)
        self.deletions[task] = "SUCCEEDED"
        return {"DeletionTaskId": task}

    def get_service_linked_role_deletion_status(self, params: dict) -> dict:
        task = params["DeletionTaskId"]
        status = self.deletions.get(task)
        if status is None:
            raise invalid_input(f"Invalid deletion task id: {task}")
        return {"Status": status}

    # -- instance profiles ------------------------------------------------------------------------
    def create_instance_profile(self, params: dict) -> dict:
        store = self.store
        name = params["InstanceProfileName"]
        if name in store.profiles:
            raise already_exists(f"Instance Profile {name} already exists.")
        tags: dict[str, str] = {}
        add_tags(tags, params.get("Tags", []))
        path = params.get("Path", "/")
        profile = InstanceProfile(
            name,
            unique_id(self.ids, "AIPA"),
            store.iam_arn("instance-profile", path, name),
            path,
            store.now(),
            tags=tags,
        )
        store.profiles[name] = profile
        return {"InstanceProfile": profile_shape(store, profile)}

    def get_instance_profile(self, params: dict) -> dict:
        store = self.store
        return {
            "InstanceProfile": profile_shape(store, store.profile(params["InstanceProfileName"]))
        }

    def list_instance_profiles(self, params: dict) -> dict:
        store = self.store
        prefix = params.get("PathPrefix", "/")
        profiles = [
            profile_shape(store, p)
            for p in sorted(store.profiles.values(), key=lambda p: p.name.lower())
            if p.path.startswith(prefix)
        ]
        return page(profiles, params, "InstanceProfiles")

    def list_instance_profiles_for_role(self, params: dict) -> dict:
        store = self.store
        role = store.role(params["RoleName"])
        profiles = [profile_shape(store, store.profiles[n]) for n in role.instance_profiles]
        return page(profiles, params, "InstanceProfiles")

    def add_role_to_instance_profile(self, params: dict) -> dict:
        store = self.store
        profile = store.profile(params["InstanceProfileName"])
        role = store.role(params["RoleName"])
        if profile.roles:
            raise limit_exceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
        profile.roles.append(role.name)
        role.instance_profiles.append(profile.name)
        return {}

    def remove_role_from_instance_profile(self, params: dict) -> dict:
        store = self.store
        profile = store.profile(params["InstanceProfileName"])
        role = store.role(params["RoleName"])
        if role.name not in profile.roles:
            raise no_role_in_profile(role.name, profile.name)
        profile.roles.remove(role.name)
        role.instance_profiles.remove(profile.name)
        return {}

    def delete_instance_profile(self, params: dict) -> dict:
        store = self.store
        profile = store.profile(params["InstanceProfileName"])
        if profile.roles:
            raise delete_conflict(
                "Cannot delete entity, must remove roles from instance profile first."
            )
        del store.profiles[profile.name]
        return {}

    def tag_instance_profile(self, params: dict) -> dict:
        add_tags(self.store.profile(params["InstanceProfileName"]).tags, params["Tags"])
        return {}

    def untag_instance_profile(self, params: dict) -> dict:
        remove_tags(self.store.profile(params["InstanceProfileName"]).tags, params["TagKeys"])
        return {}

    def list_instance_profile_tags(self, params: dict) -> dict:
        tags = tag_list(self.store.profile(params["InstanceProfileName"]).tags)
        return page(tags, params, "Tags")


def _tags_member(role: Role) -> dict[str, Any]:
    return {"Tags": tag_list(role.tags)} if role.tags else {}


def no_role_in_profile(role: str, profile: str) -> ServiceError:
    """IAM's error for removing a role a profile does not hold."""
    return no_such_entity(f"Role {role} in Instance Profile {profile} cannot be found.")


def unmodifiable(name: str) -> ServiceError:
    """IAM's refusal to delete a service-linked role with DeleteRole."""
    return ServiceError(
        "UnmodifiableEntity",
        f"Cannot perform the operation on the protected role '{name}' - this role is only "
        "modifiable by AWS",
    )
