"""IAM users, groups, access keys and service-specific credentials."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...ids import Ids
from .entities import AccessKey, Group, ServiceCredential, User
from .shapes import group_shape, user_shape
from .store import (
    MAX_ACCESS_KEYS,
    MAX_GROUPS_PER_USER,
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

#: Services that issue service-specific credentials, and the message AWS gives for others.
CREDENTIAL_SERVICES = (
    "codecommit.amazonaws.com",
    "cassandra.amazonaws.com",
    "bedrock.amazonaws.com",
)


def unique_id(ids: Ids, prefix: str) -> str:
    """An IAM unique id: a 4-letter kind prefix (AIDA, AROA, AGPA …) and 17 characters."""
    return prefix + ids.token(17).upper()


class UserOperations:
    """Users, groups and their credentials."""

    def __init__(self, store: IamStore, ids: Ids, caller_user: Callable[[], str | None]) -> None:
        self.store = store
        self.ids = ids
        self._caller_user = caller_user

    # -- users ----------------------------------------------------------------------------
    def create_user(self, params: dict) -> dict:
        store = self.store
        name = params["UserName"]
        if _folded(name) in {_folded(n) for n in store.users}:
            raise already_exists(f"User with name {name} already exists.")
        boundary = params.get("PermissionsBoundary")
        if boundary is not None:
            store.policy(boundary)
        tags: dict[str, str] = {}
        add_tags(tags, params.get("Tags", []))
        path = params.get("Path", "/")
        user = User(
            name,
            unique_id(self.ids, "AIDA"),
            store.iam_arn("user", path, name),
            path,
            store.now(),
            tags=tags,
            boundary=boundary,
        )
        store.users[name] = user
        if boundary is not None:
            store.policies[boundary].boundary_of.add(user.arn)
        store.changed()
        return {"User": user_shape(store, user)}

    def get_user(self, params: dict) -> dict:
        store = self.store
        name = params.get("UserName")
        if name is None:
            name = self._caller_user()
            if name is None:
                return {"User": self._root_user()}
        return {"User": user_shape(store, store.user(name))}

    def _root_user(self) -> dict[str, Any]:
        return {
            "Path": "/",
            "UserName": "root",
            "UserId": self.store.account_id,
            "Arn": f"arn:aws:iam::{self.store.account_id}:root",
            "CreateDate": self.store.timestamp(0),
        }

    def list_users(self, params: dict) -> dict:
        store = self.store
        prefix = params.get("PathPrefix", "/")
        users = [
            user_shape(store, u, tags=False)
            for u in sorted(store.users.values(), key=lambda u: u.name.lower())
            if u.path.startswith(prefix)
        ]
        return page(users, params, "Users")

    def update_user(self, params: dict) -> dict:
        store = self.store
        user = store.user(params["UserName"])
        new_name = params.get("NewUserName")
        if new_name and new_name != user.name:
            if new_name in store.users:
                raise already_exists(f"User with name {new_name} already exists.")
            del store.users[user.name]
            for group_name in user.groups:
                members = store.groups[group_name].members
                members[members.index(user.name)] = new_name
            for key in user.access_keys.values():
                key.user_name = new_name
            user.name = new_name
            store.users[new_name] = user
        if "NewPath" in params:
            user.path = params["NewPath"]
        user.arn = store.iam_arn("user", user.path, user.name)
        store.changed()
        return {}

    def delete_user(self, params: dict) -> dict:
        store = self.store
        user = store.user(params["UserName"])
        if user.service_credentials:
            raise delete_conflict("Cannot delete entity, must remove referenced objects first.")
        if user.access_keys:
            raise delete_conflict("Cannot delete entity, must delete access keys first.")
        if user.inline:
            raise delete_conflict("Cannot delete entity, must delete policies first.")
        if user.attached:
            raise delete_conflict("Cannot delete entity, must detach all policies first.")
        if user.groups:
            raise delete_conflict("Cannot delete entity, must remove user from all groups first.")
        if user.password_set:
            raise delete_conflict("Cannot delete entity, must delete login profile first.")
        if user.boundary and user.boundary in store.policies:
            store.policies[user.boundary].boundary_of.discard(user.arn)
        del store.users[user.name]
        store.changed()
        return {}

    def tag_user(self, params: dict) -> dict:
        add_tags(self.store.user(params["UserName"]).tags, params["Tags"])
        return {}

    def untag_user(self, params: dict) -> dict:
        remove_tags(self.store.user(params["UserName"]).tags, params["TagKeys"])
        return {}

    def list_user_tags(self, params: dict) -> dict:
        return page(tag_list(self.store.user(params["UserName"]).tags), params, "Tags")

    def create_login_profile(self, params: dict) -> dict:
        user = self._key_owner(params)
        if user.password_set:
            raise already_exists(f"Login Profile for user {user.name} already exists.")
        user.password_set = True
        return {
            "LoginProfile": {
                "UserName": user.name,
                "CreateDate": self.store.timestamp(),
                "PasswordResetRequired": params.get("PasswordResetRequired", False),
            }
        }

    def delete_login_profile(self, params: dict) -> dict:
        user = self._key_owner(params)
        if not user.password_set:
            raise no_such_entity(f"Login Profile for User {user.name} cannot be found.")
        user.password_set = False
        return {}

    # -- groups ---------------------------------------------------------------------------
    def create_group(self, params: dict) -> dict:
        store = self.store
        name = params["GroupName"]
        if _folded(name) in {_folded(n) for n in store.groups}:
            raise already_exists(f"Group with name {name} already exists.")
        path = params.get("Path", "/")
        group = Group(
            name, unique_id(self.ids, "AGPA"), store.iam_arn("group", path, name), path, store.now()
        )
        store.groups[name] = group
        return {"Group": group_shape(store, group)}

    def get_group(self, params: dict) -> dict:
        store = self.store
        group = store.group(params["GroupName"])
        users = [user_shape(store, store.users[n], tags=False) for n in group.members]
        return {"Group": group_shape(store, group), **page(users, params, "Users")}

    def list_groups(self, params: dict) -> dict:
        store = self.store
        prefix = params.get("PathPrefix", "/")
        groups = [
            group_shape(store, g)
            for g in sorted(store.groups.values(), key=lambda g: g.name.lower())
            if g.path.startswith(prefix)
        ]
        return page(groups, params, "Groups")

    def list_groups_for_user(self, params: dict) -> dict:
        store = self.store
        user = store.user(params["UserName"])
        return page([group_shape(store, store.groups[n]) for n in user.groups], params, "Groups")

    def update_group(self, params: dict) -> dict:
        store = self.store
        group = store.group(params["GroupName"])
        new_name = params.get("NewGroupName")
        if new_name and new_name != group.name:
            if new_name in store.groups:
                raise already_exists(f"Group with name {new_name} already exists.")
            del store.groups[group.name]
            for member in group.members:
                groups = store.users[member].groups
                groups[groups.index(group.name)] = new_name
            group.name = new_name
            store.groups[new_name] = group
        if "NewPath" in params:
            group.path = params["NewPath"]
        group.arn = store.iam_arn("group", group.path, group.name)
        store.changed()
        return {}

    def delete_group(self, params: dict) -> dict:
        store = self.store
        group = store.group(params["GroupName"])
        if group.members:
            raise delete_conflict("Cannot delete entity, must remove users from group first.")
        if group.inline:
            raise delete_conflict("Cannot delete entity, must delete policies first.")
        if group.attached:
            raise delete_conflict("Cannot delete entity, must detach all policies first.")
        del store.groups[group.name]
        store.changed()
        return {}

    def add_user_to_group(self, params: dict) -> dict:
        store = self.store
        group = store.group(params["GroupName"])
        user = store.user(params["UserName"])
        if group.name not in user.groups:
            if len(user.groups) >= MAX_GROUPS_PER_USER:
                raise limit_exceeded(
                    f"Cannot exceed quota for GroupsPerUser: {MAX_GROUPS_PER_USER}"
                )
            user.groups.append(group.name)
            group.members.append(user.name)
            store.changed()
        return {}

    def remove_user_from_group(self, params: dict) -> dict:
        store = self.store
        group = store.group(params["GroupName"])
        user = store.user(params["UserName"])
        if group.name not in user.groups:
            raise no_such_entity(
                f"User {user.name} is not in group {group.name}."  # IAM's words
            )
        user.groups.remove(group.name)
        group.members.remove(user.name)
        store.changed()
        return {}

    # -- access keys ------------------------------------------------------------------------
    def _key_owner(self, params: dict) -> User:
        name = params.get("UserName") or self._caller_user()
        if name is None:
            raise validation("Must specify userName when calling with non-User credentials")
        return self.store.user(name)

    def create_access_key(self, params: dict) -> dict:
        store = self.store
        user = self._key_owner(params)
        if len(user.access_keys) >= MAX_ACCESS_KEYS:
            raise limit_exceeded(f"Cannot exceed quota for AccessKeysPerUser: {MAX_ACCESS_KEYS}")
        key = AccessKey(
            "AKIA" + self.ids.token(16).upper(), self.ids.token(40), user.name, store.now()
        )
        user.access_keys[key.key_id] = key
        store.keys[key.key_id] = key
        store.changed()
        return {
            "AccessKey": {
                "UserName": user.name,
                "AccessKeyId": key.key_id,
                "Status": key.status,
                "SecretAccessKey": key.secret,
                "CreateDate": store.timestamp(key.created),
            }
        }

    def list_access_keys(self, params: dict) -> dict:
        store = self.store
        user = self._key_owner(params)
        keys = [
            {
                "UserName": user.name,
                "AccessKeyId": k.key_id,
                "Status": k.status,
                "CreateDate": store.timestamp(k.created),
            }
            for k in user.access_keys.values()
        ]
        return page(keys, params, "AccessKeyMetadata")

    def _owned_key(self, params: dict) -> tuple[User, AccessKey]:
        user = self._key_owner(params)
        key = user.access_keys.get(params["AccessKeyId"])
        if key is None:
            raise no_such_entity(f"The Access Key with id {params['AccessKeyId']} cannot be found")
        return user, key

    def update_access_key(self, params: dict) -> dict:
        _, key = self._owned_key(params)
        key.status = params["Status"]
        self.store.changed()
        return {}

    def delete_access_key(self, params: dict) -> dict:
        user, key = self._owned_key(params)
        del user.access_keys[key.key_id]
        self.store.keys.pop(key.key_id, None)
        self.store.changed()
        return {}

    def get_access_key_last_used(self, params: dict) -> dict:
        key = self.store.keys.get(params["AccessKeyId"])
        if key is None:
            raise no_such_entity(f"The Access Key with id {params['AccessKeyId']} cannot be found")
        used: dict[str, Any] = {"ServiceName": "N/A", "Region": "N/A"}
        if key.last_used is not None:
            used = {
                "LastUsedDate": self.store.timestamp(key.last_used),
                "ServiceName": key.last_used_service or "N/A",
                "Region": "us-east-1",
            }
        return {"UserName": key.user_name, "AccessKeyLastUsed": used}

    # -- service-specific credentials -------------------------------------------------------
    def create_service_specific_credential(self, params: dict) -> dict:
        store = self.store
        user = store.user(params["UserName"])
        service = params["ServiceName"]
        if service not in CREDENTIAL_SERVICES:
            raise no_such_entity(
                f"No such service {service} is supported for Service Specific Credentials"
            )
        mine = [c for c in user.service_credentials.values() if c.service_name == service]
        if len(mine) >= 2:
            raise limit_exceeded(
                "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: 2"
            )
        credential = ServiceCredential(
            "ACCA" + self.ids.token(17).upper(),
            user.name,
            service,
            f"{user.name}-at-{store.account_id}",
            self.ids.token(44),
            store.now(),
        )
        user.service_credentials[credential.credential_id] = credential
        return {
            "ServiceSpecificCredential": {
                **self._credential_shape(credential),
                "ServicePassword": credential.password,
            }
        }

    def _credential_shape(self, credential: ServiceCredential) -> dict[str, Any]:
        return {
            "CreateDate": self.store.timestamp(credential.created),
            "ServiceName": credential.service_name,
            "ServiceUserName": credential.service_user_name,
            "ServiceSpecificCredentialId": credential.credential_id,
            "UserName": credential.user_name,
            "Status": credential.status,
        }

    def list_service_specific_credentials(self, params: dict) -> dict:
        user = self._key_owner(params)
        service = params.get("ServiceName")
        if service is not None and service not in CREDENTIAL_SERVICES:
            raise no_such_entity(
                f"No such service {service} is supported for Service Specific Credentials"
            )
        return {
            "ServiceSpecificCredentials": [
                self._credential_shape(c)
                for c in user.service_credentials.values()
                if service is None or c.service_name == service
            ]
        }

    def _credential(self, params: dict) -> ServiceCredential:
        user = self._key_owner(params)
        credential_id = params["ServiceSpecificCredentialId"]
        credential = user.service_credentials.get(credential_id)
        if credential is None:
            raise no_such_entity(f"No such credential {credential_id} exists")
        return credential

    def update_service_specific_credential(self, params: dict) -> dict:
        self._credential(params).status = params["Status"]
        return {}

    def reset_service_specific_credential(self, params: dict) -> dict:
        credential = self._credential(params)
        credential.password = self.ids.token(44)
        return {
            "ServiceSpecificCredential": {
                **self._credential_shape(credential),
                "ServicePassword": credential.password,
            }
        }

    def delete_service_specific_credential(self, params: dict) -> dict:
        credential = self._credential(params)
        del self.store.users[credential.user_name].service_credentials[credential.credential_id]
        return {}


def _folded(name: str) -> str:
    """IAM names are unique case-insensitively."""
    return name.lower()
