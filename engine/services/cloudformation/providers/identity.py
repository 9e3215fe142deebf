"""IAM resources: roles, inline policies, managed policies, users and instance profiles."""

from __future__ import annotations

from typing import Any

from engine.errors import ServiceError

from .base import Outcome, Provider, Request, ignore_missing, json_text, tag_list

_GONE = ("NoSuchEntity", "NoSuchEntityException")
AWS_MANAGED_PREFIX = "arn:aws:iam::aws:policy/"


class _IamProvider(Provider):
    requires = "iam"

    @property
    def iam(self) -> Any:
        return self.client("iam")

    async def _inline(self, kind: str, name: str, new: list[dict], old: list[dict]) -> None:
        """Put the inline policies of a role or user; delete the ones no longer listed."""
        keep = {p["PolicyName"] for p in new}
        for policy in old:
            if policy["PolicyName"] not in keep:
                await ignore_missing(
                    getattr(self.iam, f"delete_{kind}_policy")(
                        **{f"{kind.title()}Name": name, "PolicyName": policy["PolicyName"]}
                    ),
                    *_GONE,
                )
        for policy in new:
            await getattr(self.iam, f"put_{kind}_policy")(
                **{
                    f"{kind.title()}Name": name,
                    "PolicyName": policy["PolicyName"],
                    "PolicyDocument": json_text(policy["PolicyDocument"]),
                }
            )

    async def _managed(self, kind: str, name: str, new: list[str], old: list[str]) -> None:
        """Attach the managed policies of a role or user; detach the ones no longer listed."""
        for arn in old:
            if arn not in new:
                await ignore_missing(
                    getattr(self.iam, f"detach_{kind}_policy")(
                        **{f"{kind.title()}Name": name, "PolicyArn": arn}
                    ),
                    *_GONE,
                )
        for arn in new:
            if arn not in old:
                try:
                    await getattr(self.iam, f"attach_{kind}_policy")(
                        **{f"{kind.title()}Name": name, "PolicyArn": arn}
                    )
                except ServiceError as error:
                    # The lab's IAM may not carry every AWS managed policy yet: on AWS they all
                    # exist, so the role is made without it and the trace says so.
                    if error.code not in _GONE or not arn.startswith(AWS_MANAGED_PREFIX):
                        raise
                    self.engine.trace.emit("warning", "cloudformation", arn, message=error.message)


class RoleProvider(_IamProvider):
    """AWS::IAM::Role — Ref: the role name; GetAtt: Arn, RoleId."""

    type_name = "AWS::IAM::Role"
    name_property = "RoleName"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        name = self.name(request)
        params = {
            **props,
            "RoleName": name,
            "AssumeRolePolicyDocument": json_text(props["AssumeRolePolicyDocument"]),
            "Tags": tag_list(props) or None,
        }
        role = (await self.call("iam", "create_role", params))["Role"]
        await self._inline("role", name, props.get("Policies") or [], [])
        await self._managed("role", name, props.get("ManagedPolicyArns") or [], [])
        return Outcome(name, {"Arn": role["Arn"], "RoleId": role["RoleId"]})

    async def update(self, request: Request) -> Outcome:
        props, old = request.properties, request.previous
        name = request.physical_id
        if props.get("AssumeRolePolicyDocument") != old.get("AssumeRolePolicyDocument"):
            await self.iam.update_assume_role_policy(
                RoleName=name, PolicyDocument=json_text(props["AssumeRolePolicyDocument"])
            )
        if props.get("Description") != old.get("Description") or props.get(
            "MaxSessionDuration"
        ) != old.get("MaxSessionDuration"):
            await self.call(
                "iam",
                "update_role",
                {
                    "RoleName": name,
                    "Description": props.get("Description", ""),
                    "MaxSessionDuration": props.get("MaxSessionDuration"),
                },
            )
        await self._inline("role", name, props.get("Policies") or [], old.get("Policies") or [])
        await self._managed(
            "role", name, props.get("ManagedPolicyArns") or [], old.get("ManagedPolicyArns") or []
        )
        return Outcome(name, dict(request.attributes))

    async def delete(self, request: Request) -> None:
        name = request.physical_id
        props = request.properties
        try:
            await self._inline("role", name, [], props.get("Policies") or [])
            await self._managed("role", name, [], props.get("ManagedPolicyArns") or [])
        except Exception:  # noqa: BLE001 - a half-gone role is deleted below all the same
            pass
        await ignore_missing(self.iam.delete_role(RoleName=name), *_GONE)


class PolicyProvider(_IamProvider):
    """AWS::IAM::Policy — an inline policy put on roles, users and groups."""

    type_name = "AWS::IAM::Policy"

    async def create(self, request: Request) -> Outcome:
        await self._apply(request.properties, {})
        return Outcome(
            request.physical_id or self.generated_name(request), {"Id": request.physical_id}
        )

    async def _apply(self, props: dict[str, Any], old: dict[str, Any]) -> None:
        document = json_text(props["PolicyDocument"])
        name = props["PolicyName"]
        for kind, key in (("role", "Roles"), ("user", "Users"), ("group", "Groups")):
            targets = props.get(key) or []
            for target in old.get(key) or []:
                if target not in targets or old.get("PolicyName") != name:
                    await ignore_missing(
                        getattr(self.iam, f"delete_{kind}_policy")(
                            **{f"{kind.title()}Name": target, "PolicyName": old["PolicyName"]}
                        ),
                        *_GONE,
                    )
            for target in targets:
                await getattr(self.iam, f"put_{kind}_policy")(
                    **{
                        f"{kind.title()}Name": target,
                        "PolicyName": name,
                        "PolicyDocument": document,
                    }
                )

    async def update(self, request: Request) -> Outcome:
        await self._apply(request.properties, request.previous)
        return Outcome(request.physical_id, dict(request.attributes))

    async def delete(self, request: Request) -> None:
        props = request.properties
        for kind, key in (("role", "Roles"), ("user", "Users"), ("group", "Groups")):
            for target in props.get(key) or []:
                await ignore_missing(
                    getattr(self.iam, f"delete_{kind}_policy")(
                        **{f"{kind.title()}Name": target, "PolicyName": props["PolicyName"]}
                    ),
                    *_GONE,
                )


class ManagedPolicyProvider(_IamProvider):
    """AWS::IAM::ManagedPolicy — Ref: the policy ARN; GetAtt: PolicyArn, PolicyId …"""

    type_name = "AWS::IAM::ManagedPolicy"
    name_property = "ManagedPolicyName"
    name_max = 128

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        name = self.name(request)
        params = {**props, "PolicyName": name, "PolicyDocument": json_text(props["PolicyDocument"])}
        policy = (await self.call("iam", "create_policy", params))["Policy"]
        arn = policy["Arn"]
        await self._attach(arn, props, {})
        return Outcome(
            arn,
            {
                "PolicyArn": arn,
                "PolicyId": policy["PolicyId"],
                "DefaultVersionId": policy.get("DefaultVersionId", "v1"),
                "AttachmentCount": len(props.get("Roles") or []),
            },
        )

    async def _attach(self, arn: str, props: dict[str, Any], old: dict[str, Any]) -> None:
        for kind, key in (("role", "Roles"), ("user", "Users"), ("group", "Groups")):
            new, before = props.get(key) or [], old.get(key) or []
            for target in before:
                if target not in new:
                    await ignore_missing(
                        getattr(self.iam, f"detach_{kind}_policy")(
                            **{f"{kind.title()}Name": target, "PolicyArn": arn}
                        ),
                        *_GONE,
                    )
            for target in new:
                if target not in before:
                    await getattr(self.iam, f"attach_{kind}_policy")(
                        **{f"{kind.title()}Name": target, "PolicyArn": arn}
                    )

    async def update(self, request: Request) -> Outcome:
        props, old = request.properties, request.previous
        if props.get("PolicyDocument") != old.get("PolicyDocument"):
            versions = (await self.iam.list_policy_versions(PolicyArn=request.physical_id))[
                "Versions"
            ]
            for version in versions:
                if not version["IsDefaultVersion"] and len(versions) >= 5:
                    await self.iam.delete_policy_version(
                        PolicyArn=request.physical_id, VersionId=version["VersionId"]
                    )
                    break
            await self.iam.create_policy_version(
                PolicyArn=request.physical_id,
                PolicyDocument=json_text(props["PolicyDocument"]),
                SetAsDefault=True,
            )
        await self._attach(request.physical_id, props, old)
        return Outcome(request.physical_id, dict(request.attributes))

    async def delete(self, request: Request) -> None:
        await self._attach(request.physical_id, {}, request.properties)
        versions = (await self.iam.list_policy_versions(PolicyArn=request.physical_id))["Versions"]
        for version in versions:
            if not version["IsDefaultVersion"]:
                await self.iam.delete_policy_version(
                    PolicyArn=request.physical_id, VersionId=version["VersionId"]
                )
        await ignore_missing(self.iam.delete_policy(PolicyArn=request.physical_id), *_GONE)


class UserProvider(_IamProvider):
    """AWS::IAM::User — Ref: the user name; GetAtt: Arn."""

    type_name = "AWS::IAM::User"
    name_property = "UserName"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        name = self.name(request)
        user = (
            await self.call(
                "iam", "create_user", {**props, "UserName": name, "Tags": tag_list(props) or None}
            )
        )["User"]
        await self._inline("user", name, props.get("Policies") or [], [])
        await self._managed("user", name, props.get("ManagedPolicyArns") or [], [])
        for group in props.get("Groups") or []:
            await self.iam.add_user_to_group(GroupName=group, UserName=name)
        return Outcome(name, {"Arn": user["Arn"]})

    async def update(self, request: Request) -> Outcome:
        props, old = request.properties, request.previous
        await self._inline(
            "user", request.physical_id, props.get("Policies") or [], old.get("Policies") or []
        )
        await self._managed(
            "user",
            request.physical_id,
            props.get("ManagedPolicyArns") or [],
            old.get("ManagedPolicyArns") or [],
        )
        return Outcome(request.physical_id, dict(request.attributes))

    async def delete(self, request: Request) -> None:
        name, props = request.physical_id, request.properties
        for group in props.get("Groups") or []:
            await ignore_missing(
                self.iam.remove_user_from_group(GroupName=group, UserName=name), *_GONE
            )
        await self._inline("user", name, [], props.get("Policies") or [])
        await self._managed("user", name, [], props.get("ManagedPolicyArns") or [])
        await ignore_missing(self.iam.delete_user(UserName=name), *_GONE)


class InstanceProfileProvider(_IamProvider):
    """AWS::IAM::InstanceProfile — Ref: the profile name; GetAtt: Arn."""

    type_name = "AWS::IAM::InstanceProfile"
    name_property = "InstanceProfileName"
    name_max = 128

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        name = self.name(request)
        profile = (
            await self.call(
                "iam", "create_instance_profile", {**props, "InstanceProfileName": name}
            )
        )["InstanceProfile"]
        for role in props.get("Roles") or []:
            await self.iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)
        return Outcome(name, {"Arn": profile["Arn"]})

    async def delete(self, request: Request) -> None:
        for role in request.properties.get("Roles") or []:
            await ignore_missing(
                self.iam.remove_role_from_instance_profile(
                    InstanceProfileName=request.physical_id, RoleName=role
                ),
                *_GONE,
            )
        await ignore_missing(
            self.iam.delete_instance_profile(InstanceProfileName=request.physical_id), *_GONE
        )


PROVIDERS = (
    RoleProvider,
    PolicyProvider,
    ManagedPolicyProvider,
    UserProvider,
    InstanceProfileProvider,
)
