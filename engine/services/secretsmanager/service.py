"""AWS Secrets Manager: secrets, versions and staging labels, deletion windows and rotation.

Internal API (EventBridge connections, CloudFormation): `create_internal(name, value, *,
owning_service=None) -> arn`, `value_of(secret_id) -> str`, `delete_internal(arn)`.
Rotation invokes the secret's Lambda through the fabric with AWS's four steps; schedules run
on the engine clock.
"""

from __future__ import annotations

import base64
import json
import re
import string
from datetime import UTC, datetime
from typing import Any

from ...errors import FunctionError, ServiceError
from ...identity import over_wire
from ...service import Envelope, Service
from ...topology import Edge, Node
from ..events.schedule import Rate, ScheduleSyntaxError, parse_schedule
from .models import CURRENT, PENDING, PREVIOUS, Replica, Secret, SecretVersion
from .replication import Replication

DAY = 86400.0
ROTATION_STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


def _stamp(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def _day(epoch: float | None) -> datetime | None:
    """LastAccessedDate: AWS keeps only the day."""
    return None if epoch is None else datetime.fromtimestamp(epoch - epoch % DAY, UTC)


def _invalid_parameter(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message)


def _invalid_request(message: str) -> ServiceError:
    return ServiceError("InvalidRequestException", message)


def _not_found(message: str = "Secrets Manager can't find the specified secret.") -> ServiceError:
    return ServiceError("ResourceNotFoundException", message)


NO_TOKEN = "You must provide a ClientRequestToken value. We recommend a UUID-type value."


def _client_token(params: dict, operation: str) -> str | None:
    """The request's ClientRequestToken; a raw HTTP request that makes a version must send one.

    The SDKs and the CLI fill it in themselves (as the lab's in-process clients do, by leaving
    it to the service); AWS refuses an HTTP request that omits it.
    """
    token = params.get("ClientRequestToken")
    if token is None and over_wire("secretsmanager", operation):
        if operation == "RotateSecret":
            raise _invalid_parameter(NO_TOKEN)
        raise _invalid_request(NO_TOKEN)
    return token


class SecretsManagerService(Service):
    """Secrets with versions and staging labels on the engine clock."""

    name = "secretsmanager"
    validation_error_code = "InvalidParameterException"

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        self.secrets: dict[str, Secret] = {}  # by name
        self.replication = Replication(self)

    async def close(self) -> None:
        for secret in self.secrets.values():
            secret.cancel_timers()

    # -- lookup ---------------------------------------------------------------------------------
    def find(self, secret_id: str) -> Secret | None:
        """The secret named by its name, full ARN or partial ARN (without the random suffix)."""
        secret = self.secrets.get(secret_id)
        if secret is not None:
            return secret
        if secret_id.startswith("arn:"):
            for secret in self.secrets.values():
                if secret.arn == secret_id or secret.arn[:-7] == secret_id:
                    return secret
        return None

    def _secret(self, secret_id: str, *, allow_deleted: bool = False) -> Secret:
        _check_name(secret_id)
        secret = self.find(secret_id)
        if secret is None:
            raise _not_found()
        if secret.deleted is not None and not allow_deleted:
            raise _invalid_request(
                "You can't perform this operation on the secret because it was marked for deletion."
            )
        return secret

    def secret_for(self, secret_id: str) -> Secret:
        """The live secret `secret_id` names (ResourceNotFound, or refused while deleted)."""
        return self._secret(secret_id)

    def owns(self, arn: str) -> bool:
        return self.find(arn) is not None

    # -- values -----------------------------------------------------------------------------------
    @staticmethod
    def _value(params: dict) -> tuple[str | None, bytes | None]:
        text, blob = params.get("SecretString"), params.get("SecretBinary")
        if text is not None and blob is not None:
            raise _invalid_parameter(
                "You can't specify both a binary secret value and a string secret value in the "
                "same secret."
            )
        if isinstance(blob, str):
            blob = blob.encode()
        return text, blob

    def _add_version(
        self,
        secret: Secret,
        token: str | None,
        text: str | None,
        blob: bytes | None,
        stages: list[str] | None,
    ) -> SecretVersion:
        """Store a new version (idempotent on the token); AWSCURRENT moves with AWSPREVIOUS."""
        version_id = token or self.ids.uuid()
        existing = secret.versions.get(version_id)
        if existing is not None:
            if existing.has_value and (existing.string, existing.binary) != (text, blob):
                raise ServiceError(
                    "ResourceExistsException",
                    "You can't modify an existing version, you can only create a new version.",
                )
            if not existing.has_value:
                existing.string, existing.binary = text, blob
                self._stage(secret, existing, stages if stages is not None else [])
            return existing
        version = SecretVersion(version_id, text, blob, self.clock.now())
        secret.versions[version_id] = version
        self._stage(secret, version, stages if stages is not None else [CURRENT])
        secret.changed = self.clock.now()
        secret.prune()
        return version

    def _stage(self, secret: Secret, version: SecretVersion, stages: list[str]) -> None:
        for stage in stages:
            if stage in version.stages:
                continue
            previous = secret.move_stage(stage, version)
            if stage == CURRENT and previous is not None:
                secret.move_stage(PREVIOUS, previous)
                if PENDING in previous.stages and PENDING not in stages:
                    previous.stages.remove(PENDING)  # as AWS: a new current ends that rotation

    # -- create / read ---------------------------------------------------------------------------
    def create_secret(self, params: dict) -> dict:
        name = params["Name"]
        _check_name(name)
        text, blob = self._value(params)
        token = (
            _client_token(params, "CreateSecret") if text is not None or blob is not None else None
        )
        existing = self.secrets.get(name)
        if existing is not None:
            if existing.deleted is not None:
                raise _invalid_request(
                    "You can't create this secret because a secret with this name is already "
                    "scheduled for deletion."
                )
            raise ServiceError(
                "ResourceExistsException",
                f"The operation failed because the secret {name} already exists.",
            )
        secret = Secret(
            name=name,
            arn=self.arn(f"secret:{name}-{self.ids.token(6)}"),
            created=self.clock.now(),
            description=params.get("Description"),
            kms_key_id=params.get("KmsKeyId"),
            tags=[dict(t) for t in params.get("Tags", [])],
        )
        if params.get("AddReplicaRegions"):
            self.replication.add(secret, params["AddReplicaRegions"])
        result: dict[str, Any] = {"ARN": secret.arn, "Name": name}
        if text is not None or blob is not None:
            version = self._add_version(secret, token, text, blob, None)
            result["VersionId"] = version.version_id
        if secret.replicas:
            result["ReplicationStatus"] = self.replication.status(secret)
        secret.changed = secret.created
        self.secrets[name] = secret
        self.emit("created", secret.arn)
        return result

    def create_internal(self, name: str, value: str, *, owning_service: str | None = None) -> str:
        """Create (or overwrite) a secret for another service; returns its ARN."""
        secret = self.secrets.get(name)
        if secret is None:
            self.create_secret({"Name": name, "SecretString": value})
            secret = self.secrets[name]
        else:
            self._add_version(secret, None, value, None, None)
        secret.owning_service = owning_service
        return secret.arn

    def value_of(self, secret_id: str) -> str | None:
        """The AWSCURRENT string of a secret (None when absent): for services that hold secrets."""
        secret = self.find(secret_id)
        version = secret.stage_owner(CURRENT) if secret is not None else None
        return version.string if version is not None else None

    def delete_internal(self, secret_id: str) -> None:
        """Delete a service-owned secret at once."""
        secret = self.find(secret_id)
        if secret is not None:
            self._purge(secret)

    def _version_for(
        self, secret: Secret, version_id: str | None, stage: str | None
    ) -> SecretVersion:
        if version_id is not None:
            version = secret.versions.get(version_id)
            if version is not None and version.has_value and stage and stage not in version.stages:
                raise _invalid_request(
                    "You provided a VersionStage that is not associated to the provided VersionId."
                )
            if version is None or not version.has_value:
                raise _not_found(
                    "Secrets Manager can't find the specified secret value for VersionId: "
                    f"{version_id}"
                )
            return version
        stage = stage or CURRENT
        version = secret.stage_owner(stage)
        if version is None or not version.has_value:
            raise _not_found(
                f"Secrets Manager can't find the specified secret value for staging label: {stage}"
            )
        return version

    def get_secret_value(self, params: dict) -> dict:
        secret = self._secret(params["SecretId"])
        version = self._version_for(secret, params.get("VersionId"), params.get("VersionStage"))
        now = self.clock.now()
        secret.accessed = version.last_accessed = now
        result: dict[str, Any] = {
            "ARN": secret.arn,
            "Name": secret.name,
            "VersionId": version.version_id,
            "VersionStages": sorted(version.stages),
            "CreatedDate": _stamp(version.created),
        }
        if version.string is not None:
            result["SecretString"] = version.string
        if version.binary is not None:
            result["SecretBinary"] = version.binary
        self.emit("read", secret.arn, version=version.version_id)
        return result

    def batch_get_secret_value(self, params: dict) -> dict:
        ids = params.get("SecretIdList")
        if ids and params.get("Filters"):
            raise _invalid_parameter(
                "Either 'SecretIdList' or 'Filters' must be provided, not both."
            )
        if not ids:
            listed = self.list_secrets({"Filters": params.get("Filters", [])})["SecretList"]
            ids = [entry["ARN"] for entry in listed]
        values, errors = [], []
        for secret_id in ids:
            try:
                values.append(self.get_secret_value({"SecretId": secret_id}))
            except ServiceError as error:
                errors.append(
                    {"SecretId": secret_id, "ErrorCode": error.code, "Message": error.message}
                )
        return {"SecretValues": values, "Errors": errors}

    def put_secret_value(self, params: dict) -> dict:
        token = _client_token(params, "PutSecretValue")
        secret = self._secret(params["SecretId"])
        text, blob = self._value(params)
        if text is None and blob is None:
            raise _invalid_request("You must provide either SecretString or SecretBinary.")
        version = self._add_version(secret, token, text, blob, params.get("VersionStages"))
        self.emit("put", secret.arn, version=version.version_id)
        return {
            "ARN": secret.arn,
            "Name": secret.name,
            "VersionId": version.version_id,
            "VersionStages": sorted(version.stages),
        }

    def update_secret(self, params: dict) -> dict:
        text, blob = self._value(params)
        token = (
            _client_token(params, "UpdateSecret") if text is not None or blob is not None else None
        )
        secret = self._secret(params["SecretId"])
        if "Description" in params:
            secret.description = params["Description"]
        if "KmsKeyId" in params:
            secret.kms_key_id = params["KmsKeyId"]
        secret.changed = self.clock.now()
        result: dict[str, Any] = {"ARN": secret.arn, "Name": secret.name}
        if text is not None or blob is not None:
            version = self._add_version(secret, token, text, blob, None)
            result["VersionId"] = version.version_id
        return result

    def describe_secret(self, params: dict) -> dict:
        secret = self._secret(params["SecretId"], allow_deleted=True)
        return self._describe(secret)

    def _describe(self, secret: Secret, *, versions_key: str = "VersionIdsToStages") -> dict:
        result: dict[str, Any] = {"ARN": secret.arn, "Name": secret.name}
        if secret.description:
            result["Description"] = secret.description
        if secret.kms_key_id is not None:
            result["KmsKeyId"] = secret.kms_key_id
        if secret.rotation_enabled:
            result["RotationEnabled"] = True
        if secret.rotation_lambda:
            result["RotationLambdaARN"] = secret.rotation_lambda
        if secret.rotation_rules:
            result["RotationRules"] = dict(secret.rotation_rules)
        for key, epoch in (
            ("LastRotatedDate", secret.last_rotated),
            ("LastChangedDate", secret.changed),
            ("DeletedDate", secret.deleted),
            ("NextRotationDate", secret.next_rotation if secret.rotation_enabled else None),
        ):
            if epoch is not None:
                result[key] = _stamp(epoch)
        if secret.accessed is not None:
            result["LastAccessedDate"] = _day(secret.accessed)
        if secret.tags or secret.tagged:
            result["Tags"] = [dict(t) for t in secret.tags]
        staged = {v.version_id: sorted(v.stages) for v in secret.versions.values() if v.stages}
        if staged:
            result[versions_key] = staged
        if secret.owning_service:
            result["OwningService"] = secret.owning_service
        result["CreatedDate"] = _stamp(secret.created)
        if secret.replicas:
            result["PrimaryRegion"] = self.region
            result["ReplicationStatus"] = self.replication.status(secret)
        return result

    def list_secrets(self, params: dict) -> dict:
        include_deleted = params.get("IncludePlannedDeletion", False)
        filters = params.get("Filters", [])
        for entry in filters:
            if not entry.get("Values"):
                raise _invalid_parameter("Invalid filter values")
        secrets = [
            s
            for s in self.secrets.values()
            if (include_deleted or s.deleted is None) and all(_matches(s, f) for f in filters)
        ]
        secrets.sort(key=lambda s: s.created, reverse=params.get("SortOrder") == "desc")
        start = (
            int(params.get("NextToken") or 0) if str(params.get("NextToken", "0")).isdigit() else 0
        )
        size = params.get("MaxResults", 100)
        page = secrets[start : start + size]
        result: dict[str, Any] = {
            "SecretList": [self._describe(s, versions_key="SecretVersionsToStages") for s in page]
        }
        if start + size < len(secrets):
            result["NextToken"] = str(start + size)
        return result

    def list_secret_version_ids(self, params: dict) -> dict:
        secret = self._secret(params["SecretId"], allow_deleted=True)
        include_all = params.get("IncludeDeprecated", False)
        versions = []
        for version in secret.versions.values():
            if not version.stages and not include_all:
                continue
            entry: dict[str, Any] = {
                "VersionId": version.version_id,
                "CreatedDate": _stamp(version.created),
                "KmsKeyIds": [secret.kms_key_id or "DefaultEncryptionKey"],
            }
            if version.stages:
                entry["VersionStages"] = sorted(version.stages)
            if version.last_accessed is not None:
                entry["LastAccessedDate"] = _day(version.last_accessed)
            versions.append(entry)
        return {"Versions": versions, "ARN": secret.arn, "Name": secret.name}

    def update_secret_version_stage(self, params: dict) -> dict:
        secret = self._secret(params["SecretId"])
        stage = params["VersionStage"]
        remove_from, move_to = params.get("RemoveFromVersionId"), params.get("MoveToVersionId")
        owner = secret.stage_owner(stage)
        for version_id in (remove_from, move_to):
            if version_id is not None and version_id not in secret.versions:
                raise _invalid_parameter(
                    f"The specified version {version_id} doesn't exist for secret {secret.name}."
                )
        if (
            move_to is not None
            and owner is not None
            and owner.version_id != move_to
            and remove_from != owner.version_id
        ):
            raise _invalid_parameter(
                f"The parameter RemoveFromVersionId can't be empty. Staging label {stage} is "
                f"currently attached to version {owner.version_id}, so you must explicitly "
                "reference that version in RemoveFromVersionId."
            )
        if remove_from is not None:
            if owner is None or owner.version_id != remove_from:
                raise _invalid_parameter(
                    f"The staging label {stage} is currently not attached to version "
                    f"{remove_from}, so you can't remove it."
                )
            if stage == CURRENT and move_to is None:
                raise _invalid_parameter(
                    "You can only move staging label AWSCURRENT to a different secret version. "
                    "It can't be completely removed."
                )
            owner.stages.remove(stage)
        if move_to is not None:
            target = secret.versions[move_to]
            if stage not in target.stages:
                previous = secret.move_stage(stage, target)
                if stage == CURRENT:
                    demoted = previous or (
                        secret.versions.get(remove_from) if remove_from else None
                    )
                    if demoted is not None:
                        secret.move_stage(PREVIOUS, demoted)
        secret.changed = self.clock.now()
        return {"ARN": secret.arn, "Name": secret.name}

    # -- delete / restore ------------------------------------------------------------------------
    def delete_secret(self, params: dict) -> dict:
        force = params.get("ForceDeleteWithoutRecovery", False)
        window = params.get("RecoveryWindowInDays")
        _check_name(params["SecretId"])
        if force and window is None and self.find(params["SecretId"]) is None:
            # AWS answers a forced delete of a missing secret as if it had existed.
            name = params["SecretId"]
            return {
                "ARN": self.arn(f"secret:{name}-{self.ids.token(6)}"),
                "Name": name,
                "DeletionDate": _stamp(self.clock.now()),
            }
        secret = self._secret(params["SecretId"], allow_deleted=True)
        if force and window is not None:
            raise _invalid_parameter(
                "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."
            )
        if window is not None and not 7 <= window <= 30:
            raise _invalid_parameter(
                "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive)."
            )
        if secret.replicas:
            raise _invalid_request(
                f"You can't delete secret {secret.name} that still has replica regions "
                f"[{', '.join(secret.replicas)}]. Remove the replicas first."
            )
        now = self.clock.now()
        if force:
            self._purge(secret)
            return {"ARN": secret.arn, "Name": secret.name, "DeletionDate": _stamp(now)}
        if secret.deleted is not None:
            raise _invalid_request(
                "You can't perform this operation on the secret because it was already scheduled "
                "for deletion."
            )
        secret.deleted = now
        secret.deletion_date = now + (window or 30) * DAY
        if secret.rotation_timer is not None:
            secret.rotation_timer.cancel()
            secret.rotation_timer = None
        secret.deletion_timer = self.clock.call_at(secret.deletion_date, self._purge, secret)
        self.emit("deletion-scheduled", secret.arn, deletion_date=secret.deletion_date)
        return {
            "ARN": secret.arn,
            "Name": secret.name,
            "DeletionDate": _stamp(secret.deletion_date),
        }

    def _purge(self, secret: Secret) -> None:
        secret.cancel_timers()
        if self.secrets.get(secret.name) is secret:
            del self.secrets[secret.name]
            self.emit("deleted", secret.arn)

    def restore_secret(self, params: dict) -> dict:
        secret = self._secret(params["SecretId"], allow_deleted=True)
        if secret.deletion_timer is not None:
            secret.deletion_timer.cancel()
            secret.deletion_timer = None
        secret.deleted = secret.deletion_date = None
        if secret.rotation_enabled:
            self._schedule_rotation(secret)
        return {"ARN": secret.arn, "Name": secret.name}

    # -- tags and policies -----------------------------------------------------------------------
    def tag_resource(self, params: dict) -> dict:
        secret = self._secret(params["SecretId"])
        secret.tagged = True
        for tag in params["Tags"]:
            secret.tags = [t for t in secret.tags if t["Key"] != tag["Key"]] + [dict(tag)]
        return {}

    def untag_resource(self, params: dict) -> dict:
        secret = self._secret(params["SecretId"])
        keys = set(params["TagKeys"])
        secret.tags = [t for t in secret.tags if t["Key"] not in keys]
        return {}

    def _check_policy(self, text: str) -> None:
        try:
            document = json.loads(text)
        except ValueError:
            raise ServiceError(
                "MalformedPolicyDocumentException", "This resource policy contains a syntax error."
            ) from None
        if not isinstance(document, dict) or "Statement" not in document:
            raise ServiceError(
                "MalformedPolicyDocumentException", "This resource policy contains a syntax error."
            )

    def put_resource_policy(self, params: dict) -> dict:
        secret = self._secret(params["SecretId"])
        self._check_policy(params["ResourcePolicy"])
        secret.policy = params["ResourcePolicy"]
        return {"ARN": secret.arn, "Name": secret.name}

    def get_resource_policy(self, params: dict) -> dict:
        secret = self._secret(params["SecretId"])
        result: dict[str, Any] = {"ARN": secret.arn, "Name": secret.name}
        if secret.policy is not None:
            result["ResourcePolicy"] = secret.policy
        return result

    def delete_resource_policy(self, params: dict) -> dict:
        secret = self._secret(params["SecretId"])
        secret.policy = None
        return {"ARN": secret.arn, "Name": secret.name}

    def validate_resource_policy(self, params: dict) -> dict:
        if params.get("SecretId"):
            self._secret(params["SecretId"])
        self._check_policy(params["ResourcePolicy"])
        return {"PolicyValidationPassed": True, "ValidationErrors": []}

    # -- passwords --------------------------------------------------------------------------------
    def get_random_password(self, params: dict) -> dict:
        length = params.get("PasswordLength", 32)
        excluded = set(params.get("ExcludeCharacters", ""))
        classes = []
        for flag, chars in (
            ("ExcludeLowercase", string.ascii_lowercase),
            ("ExcludeUppercase", string.ascii_uppercase),
            ("ExcludeNumbers", string.digits),
            ("ExcludePunctuation", PUNCTUATION),
        ):
            if not params.get(flag, False):
                kept = "".join(c for c in chars if c not in excluded)
                if kept:
                    classes.append(kept)
        if params.get("IncludeSpace", False) and " " not in excluded:
            classes.append(" ")
        if not classes:
            raise _invalid_parameter("You can't exclude every character type.")
        require = params.get("RequireEachIncludedType", True)
        if require and length < len(classes):
            raise _invalid_parameter(
                "The password length is too short to include every character type."
            )
        pool = "".join(classes)
        pick = self.ids.random
        chars = [pool[int(pick() * len(pool))] for _ in range(length)]
        if require:
            # One of each included type at distinct positions, as AWS guarantees.
            positions = list(range(length))
            for chars_of_type in classes:
                where = positions.pop(int(pick() * len(positions)))
                chars[where] = chars_of_type[int(pick() * len(chars_of_type))]
        return {"RandomPassword": "".join(chars)}

    # -- rotation ---------------------------------------------------------------------------------
    async def rotate_secret(self, params: dict) -> dict:
        _client_token(params, "RotateSecret")
        secret = self._secret(params["SecretId"])
        function = params.get("RotationLambdaARN") or secret.rotation_lambda
        if not function:
            raise _invalid_request(
                "No Lambda rotation function ARN is associated with this secret."
            )
        rules = params.get("RotationRules")
        if rules is not None:
            _check_rules(rules)
        if function != secret.rotation_lambda and not await self.engine.fabric.exists(function):
            raise _invalid_request(
                "Secrets Manager cannot invoke the specified Lambda function. Ensure that the "
                "function policy grants access to the principal secretsmanager.amazonaws.com."
            )
        pending = secret.stage_owner(PENDING)
        if pending is not None and pending.version_id != params.get("ClientRequestToken"):
            raise _invalid_request(
                "A previous rotation isn't complete. That rotation will be reattempted."
            )
        secret.rotation_lambda = function
        if rules is not None:
            secret.rotation_rules = dict(rules)
        secret.rotation_enabled = True
        token = params.get("ClientRequestToken") or self.ids.uuid()
        if params.get("RotateImmediately", True):
            await self._rotate(secret, token)
        self._schedule_rotation(secret)
        return {"ARN": secret.arn, "Name": secret.name, "VersionId": token}

    def cancel_rotate_secret(self, params: dict) -> dict:
        secret = self._secret(params["SecretId"])
        if not secret.rotation_enabled:
            raise _invalid_request(
                "Secret does not have rotation enabled. Enable rotation before cancelling it."
            )
        secret.rotation_enabled = False
        secret.next_rotation = None
        if secret.rotation_timer is not None:
            secret.rotation_timer.cancel()
            secret.rotation_timer = None
        pending = secret.stage_owner(PENDING)
        result: dict[str, Any] = {"ARN": secret.arn, "Name": secret.name}
        if pending is not None:
            pending.stages.remove(PENDING)
            result["VersionId"] = pending.version_id
        return result

    async def _rotate(self, secret: Secret, token: str) -> bool:
        """Run the four rotation steps through the fabric; AWSPENDING stays if one fails."""
        if token not in secret.versions:
            secret.versions[token] = SecretVersion(token, None, None, self.clock.now(), [])
        secret.move_stage(PENDING, secret.versions[token])
        function = secret.rotation_lambda
        assert function is not None
        self.emit("rotation-started", secret.arn, version=token, function=function)
        for step in ROTATION_STEPS:
            event = {"Step": step, "SecretId": secret.arn, "ClientRequestToken": token}
            try:
                await self.engine.fabric.deliver(function, Envelope(event, source_arn=secret.arn))
            except (FunctionError, ServiceError) as error:
                self.emit(
                    "rotation-failed", secret.arn, version=token, step=step, error=error.message
                )
                return False
        version = secret.versions.get(token)
        if version is not None and PENDING in version.stages and CURRENT in version.stages:
            # A rotation function that moved AWSCURRENT but left AWSPENDING is finished all the same.
            version.stages.remove(PENDING)
        secret.last_rotated = self.clock.now()
        self.emit("rotated", secret.arn, version=token)
        return True

    def _schedule_rotation(self, secret: Secret) -> None:
        if secret.rotation_timer is not None:
            secret.rotation_timer.cancel()
            secret.rotation_timer = None
        rules = secret.rotation_rules or {}
        now = self.clock.now()
        base = secret.last_rotated or now
        when: float | None = None
        if rules.get("AutomaticallyAfterDays"):
            when = base + rules["AutomaticallyAfterDays"] * DAY
        elif rules.get("ScheduleExpression"):
            expression = parse_schedule(rules["ScheduleExpression"])
            when = (
                expression.next_after(now, base)
                if isinstance(expression, Rate)
                else expression.next_after(now)
            )
        secret.next_rotation = when
        if when is not None:
            secret.rotation_timer = self.clock.call_at(max(when, now), self._scheduled, secret)

    def _scheduled(self, secret: Secret) -> None:
        secret.rotation_timer = None
        self.engine.spawn(self._scheduled_rotation(secret), name=f"rotate {secret.name}")

    async def _scheduled_rotation(self, secret: Secret) -> None:
        if secret.deleted is None and secret.rotation_enabled:
            if secret.stage_owner(PENDING) is None:
                await self._rotate(secret, self.ids.uuid())
            self._schedule_rotation(secret)

    # -- replication (delegated) ------------------------------------------------------------------
    def replicate_secret_to_regions(self, params: dict) -> dict:
        return self.replication.replicate_secret_to_regions(params)

    def remove_regions_from_replication(self, params: dict) -> dict:
        return self.replication.remove_regions_from_replication(params)

    def stop_replication_to_replica(self, params: dict) -> dict:
        return self.replication.stop_replication_to_replica(params)

    # -- views ------------------------------------------------------------------------------------
    def topology(self) -> tuple[list[Node], list[Edge]]:
        nodes, edges = [], []
        for secret in self.secrets.values():
            nodes.append(
                Node(
                    secret.arn,
                    "secret",
                    secret.name,
                    self.name,
                    {"versions": len(secret.versions), "deleted": int(secret.deleted is not None)},
                )
            )
            if secret.rotation_lambda:
                edges.append(Edge(secret.arn, secret.rotation_lambda, "rotation", "rotation"))
        return nodes, edges

    def dump(self) -> dict[str, Any] | None:
        if not self.secrets:
            return None
        return {
            "secrets": [
                {
                    "name": s.name,
                    "arn": s.arn,
                    "created": s.created,
                    "description": s.description,
                    "kms_key_id": s.kms_key_id,
                    "tags": s.tags,
                    "policy": s.policy,
                    "rotation_lambda": s.rotation_lambda,
                    "rotation_rules": s.rotation_rules,
                    "replicas": [
                        {"region": r.region, "kms_key_id": r.kms_key_id, "started": r.started}
                        for r in s.replicas.values()
                    ],
                    "versions": [
                        {
                            "id": v.version_id,
                            "string": v.string,
                            "binary": base64.b64encode(v.binary).decode() if v.binary else None,
                            "created": v.created,
                            "stages": v.stages,
                        }
                        for v in s.versions.values()
                    ],
                }
                for s in self.secrets.values()
                if s.deleted is None
            ]
        }

    def load(self, data: dict[str, Any]) -> None:
        for saved in data.get("secrets", []):
            secret = Secret(
                name=saved["name"],
                arn=saved["arn"],
                created=saved["created"],
                description=saved.get("description"),
                kms_key_id=saved.get("kms_key_id"),
                tags=saved.get("tags", []),
                policy=saved.get("policy"),
                rotation_lambda=saved.get("rotation_lambda"),
                rotation_rules=saved.get("rotation_rules"),
            )
            for r in saved.get("replicas", []):
                secret.replicas[r["region"]] = Replica(r["region"], r["kms_key_id"], r["started"])
            for v in saved["versions"]:
                binary = base64.b64decode(v["binary"]) if v.get("binary") else None
                secret.versions[v["id"]] = SecretVersion(
                    v["id"], v.get("string"), binary, v["created"], list(v["stages"])
                )
            self.secrets[secret.name] = secret


_NAME = re.compile(r"^[A-Za-z0-9/_+=.@!-]+$")


def _check_name(name: str) -> None:
    """AWS's ValidationException for names outside its character set (ARNs pass)."""
    if not name.startswith("arn:") and not _NAME.match(name):
        raise ServiceError(
            "ValidationException",
            "Invalid name. Must be a valid name containing alphanumeric characters, or any of "
            "the following: -/_+=.@!",
        )


def _check_rules(rules: dict) -> None:
    days = rules.get("AutomaticallyAfterDays")
    expression = rules.get("ScheduleExpression")
    if days is not None and expression is not None:
        raise _invalid_parameter(
            "You can't specify both AutomaticallyAfterDays and ScheduleExpression."
        )
    if days is not None and not 1 <= days <= 1000:
        raise _invalid_parameter(
            "The rotation interval must be between 1 and 1000 days (inclusive)."
        )
    if expression is not None:
        try:
            parse_schedule(expression)
        except ScheduleSyntaxError:
            raise _invalid_parameter(f"Invalid ScheduleExpression format: {expression}") from None


def _matches(secret: Secret, entry: dict) -> bool:
    """One ListSecrets filter: values match by prefix; a leading ! negates."""
    key = entry["Key"]
    fields: list[str]
    if key == "name":
        fields = [secret.name]
    elif key == "description":
        fields = [secret.description or ""]
    elif key == "tag-key":
        fields = [t["Key"] for t in secret.tags]
    elif key == "tag-value":
        fields = [t["Value"] for t in secret.tags]
    elif key == "owning-service":
        fields = [secret.owning_service or ""]
    elif key == "primary-region":
        fields = [secret.arn.split(":")[3]]
    else:  # all
        fields = [secret.name, secret.description or ""]
        fields += [t["Key"] for t in secret.tags] + [t["Value"] for t in secret.tags]
    for value in entry["Values"]:
        negate = value.startswith("!")
        wanted = value[1:] if negate else value
        # Every word of the value must begin a word of the field (AWS's prefix matching).
        words = wanted.split() or [wanted]
        field_words = [w for f in fields if f for w in f.split()]
        hit = all(any(w.startswith(word) for w in field_words) for word in words)
        if negate == hit:
            return False
    return True
