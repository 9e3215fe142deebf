"""AWS STS: who is calling, and temporary credentials that act as a role, user or federated user.

Temporary keys (ASIA…) live in IAM's store (`iam.store.sessions`) so `iam.identity_for_access_key`
answers for them too; they expire on the engine clock.
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from ...arn import parse_arn
from ...errors import ServiceError
from ...identity import current_access_key
from ...model import operations
from ...service import Service
from ..iam.documents import check_identity_policy
from ..iam.entities import Session
from ..iam.identities import Identity
from ..iam.patterns import with_patterns

if TYPE_CHECKING:
    from ...engine import Engine
    from ..iam.service import IamService

MIN_DURATION = 900
CHAINED_MAX_DURATION = 3600
SESSION_TOKEN_DEFAULT = 43200
SESSION_TOKEN_MAX = 129600
MAX_SESSION_TAGS = 50
#: How long an expired session is remembered before it is forgotten.
EXPIRED_SESSION_GRACE = 3600.0
#: How long credentials a service hands its code (a Lambda environment's) last: 12 hours.
SERVICE_SESSION_SECONDS = 43200


def invalid_parameter(message: str) -> ServiceError:
    """STS's error for a parameter it refuses."""
    return ServiceError("InvalidParameterValue", message)


def access_denied(identity: Identity, action: str, resource: str, why: str = "") -> ServiceError:
    """STS's AccessDenied, in AWS's words."""
    reason = f" {why}" if why else ""
    return ServiceError(
        "AccessDenied",
        f"User: {identity.arn} is not authorized to perform: {action} on resource: {resource}{reason}",
        status_code=403,
    )


class StsService(Service):
    """STS for the lab's account."""

    name = "sts"
    validation_error_code = "ValidationError"
    check_enums = False

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        for snake in operations("sts"):
            method = getattr(self, snake, None)
            if method is not None:
                setattr(self, snake, with_patterns("sts", snake, method))

    @property
    def iam(self) -> IamService:
        """The lab's IAM, which holds the sessions."""
        return self.engine.service("iam")  # type: ignore[return-value]

    # -- who am I ---------------------------------------------------------------------------
    def get_caller_identity(self, params: dict) -> dict:
        identity = self.iam.caller()
        return {"UserId": identity.user_id, "Account": identity.account, "Arn": identity.arn}

    def get_access_key_info(self, params: dict) -> dict:
        return {"Account": self.account_id}

    # -- temporary credentials ----------------------------------------------------------------------
    def assume_role(self, params: dict) -> dict:
        caller = self.iam.caller()
        role_arn = params["RoleArn"]
        role = self._role(role_arn, caller)
        tags = self._session_tags(params, caller)
        duration = self._role_duration(params, role.max_session_duration, caller)
        self.iam.authorizer.check_assume_role(caller, role, "sts:AssumeRole", params)
        return self._role_session(role, params["RoleSessionName"], duration, params, tags)

    def assume_role_with_web_identity(self, params: dict) -> dict:
        caller = self.iam.caller()
        role = self._role(params["RoleArn"], caller)
        duration = self._role_duration(params, role.max_session_duration, caller)
        claims = _jwt_claims(params["WebIdentityToken"])
        provider = params.get("ProviderId") or claims.get("iss", "")
        audience = claims.get("aud", "")
        if isinstance(audience, list):
            audience = audience[0] if audience else ""
        result = self._role_session(role, params["RoleSessionName"], duration, params, {})
        result.update(
            {
                "SubjectFromWebIdentityToken": str(claims.get("sub", "")),
                "Provider": str(provider),
                "Audience": str(audience),
            }
        )
        return result

    def get_session_token(self, params: dict) -> dict:
        caller = self.iam.caller()
        if caller.kind == "assumed-role":
            raise access_denied(
                caller,
                "sts:GetSessionToken",
                caller.arn,
                "because no identity-based policy allows the sts:GetSessionToken action",
            )
        duration = params.get("DurationSeconds", SESSION_TOKEN_DEFAULT)
        limit = 3600 if caller.is_root else SESSION_TOKEN_MAX
        _check_duration(duration, limit)
        session = self._new_session(caller.arn, duration)
        return {"Credentials": self._credentials(session)}

    def get_federation_token(self, params: dict) -> dict:
        caller = self.iam.caller()
        duration = params.get("DurationSeconds", SESSION_TOKEN_DEFAULT)
        _check_duration(duration, 3600 if caller.is_root else SESSION_TOKEN_MAX)
        name = params["Name"]
        arn = f"arn:aws:sts::{self.account_id}:federated-user/{name}"
        policies = self._session_policies(params)
        session = self._new_session(arn, duration, session_name=name, session_policies=policies)
        result: dict[str, Any] = {
            "Credentials": self._credentials(session),
            "FederatedUser": {"FederatedUserId": f"{self.account_id}:{name}", "Arn": arn},
        }
        if "Policy" in params or "PolicyArns" in params:
            result["PackedPolicySize"] = _packed_size(params)
        return result

    # -- helpers ------------------------------------------------------------------------------------
    def _role(self, role_arn: str, caller: Identity) -> Any:
        parsed = parse_arn(role_arn)
        if (
            parsed is None
            or not parsed.partition
            or not parsed.service
            or not parsed.resource
            or role_arn.count(":") < 5
        ):
            raise ServiceError("ValidationError", f"{role_arn} is invalid")
        role = self.iam.store.role_by_arn(role_arn)
        if role is None:
            raise access_denied(caller, "sts:AssumeRole", role_arn)
        return role

    def _role_duration(self, params: dict, role_max: int, caller: Identity) -> int:
        duration = params.get("DurationSeconds", 3600)
        if caller.kind == "assumed-role" and duration > CHAINED_MAX_DURATION:
            raise ServiceError(
                "ValidationError",
                "The requested DurationSeconds exceeds the 1 hour session limit for roles "
                "assumed by role chaining.",
            )
        if duration > role_max:
            raise ServiceError(
                "ValidationError",
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            )
        if duration < MIN_DURATION:
            raise ServiceError(
                "ValidationError",
                f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to "
                f"satisfy constraint: Member must have value greater than or equal to {MIN_DURATION}",
            )
        return duration

    def _session_tags(self, params: dict, caller: Identity) -> dict[str, str]:
        tags = params.get("Tags", [])
        keys = [tag["Key"].lower() for tag in tags]
        if len(set(keys)) != len(keys):
            raise invalid_parameter(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive."
            )
        if len(tags) > MAX_SESSION_TAGS:
            raise invalid_parameter("The number of tags has reached the maximum limit.")
        for key in params.get("TransitiveTagKeys", []):
            if key.lower() not in keys:
                raise invalid_parameter(
                    "The specified transitive tag key must be included in the requested tags."
                )
        inherited = caller.session.tags if caller.session is not None else {}
        transitive = {k.lower() for k in (caller.session.transitive if caller.session else ())}
        if any(key in transitive for key in keys):
            raise invalid_parameter(
                "One of the specified transitive tag keys can't be set because it conflicts "
                "with a transitive tag key from the calling session."
            )
        kept = {k: v for k, v in inherited.items() if k.lower() in transitive}
        return {**kept, **{tag["Key"]: tag["Value"] for tag in tags}}

    def _session_policies(self, params: dict) -> list[str]:
        policies: list[str] = []
        if "Policy" in params:
            check_identity_policy(params["Policy"])
            policies.append(params["Policy"])
        for item in params.get("PolicyArns", []):
            arn = item.get("arn", "")
            policy = self.iam.store.policies.get(arn)
            if policy is None:
                raise invalid_parameter(f"Policy {arn} does not exist or is not attachable.")
            policies.append(policy.document)
        return policies

    def _role_session(
        self, role: Any, session_name: str, duration: int, params: dict, tags: dict[str, str]
    ) -> dict:
        arn = f"arn:aws:sts::{self.account_id}:assumed-role/{role.name}/{session_name}"
        caller = self.iam.caller()
        inherited = caller.session.transitive if caller.session is not None else ()
        session = self._new_session(
            arn,
            duration,
            role_arn=role.arn,
            session_name=session_name,
            tags=tags,
            session_policies=self._session_policies(params),
            transitive=tuple(params.get("TransitiveTagKeys", ())) + tuple(inherited),
            source_identity=params.get("SourceIdentity"),
        )
        role.last_used = self.clock.now()
        result: dict[str, Any] = {
            "Credentials": self._credentials(session),
            "AssumedRoleUser": {
                "AssumedRoleId": f"{role.entity_id}:{session_name}",
                "Arn": arn,
            },
        }
        if params.get("Tags") or "Policy" in params or "PolicyArns" in params:
            result["PackedPolicySize"] = _packed_size(params)
        if params.get("SourceIdentity"):
            result["SourceIdentity"] = params["SourceIdentity"]
        return result

    def service_credentials(
        self, role_arn: str, session_name: str, duration: int = SERVICE_SESSION_SECONDS
    ) -> dict[str, str]:
        """Fresh credentials a service hands code it runs with a role (one Lambda environment's).

        Each call is a new session, as each of AWS's execution environments has its own keys.
        The role need not exist: with enforcement on, a session of a missing role is allowed
        nothing, as on AWS.
        """
        name = role_arn.rsplit("/", 1)[-1]
        principal = f"arn:aws:sts::{self.account_id}:assumed-role/{name}/{session_name}"
        session = self._new_session(
            principal, duration, role_arn=role_arn, session_name=session_name
        )
        return {
            "AWS_ACCESS_KEY_ID": session.key_id,
            "AWS_SECRET_ACCESS_KEY": session.secret,
            "AWS_SESSION_TOKEN": session.token,
        }

    def _new_session(self, principal_arn: str, duration: int, **fields: Any) -> Session:
        session = Session(
            "ASIA" + self.ids.token(16).upper(),
            self.ids.token(40),
            "FwoGZXIvYXdzE" + self.ids.token(280),
            principal_arn,
            self.clock.now() + duration,
            **fields,
        )
        store = self.iam.store
        store.sessions[session.key_id] = session
        store.changed()
        # Kept an hour past expiry (so a late caller hears its token expired), then forgotten:
        # a long lab that keeps assuming roles stays flat.
        self.clock.call_at(
            session.expires + EXPIRED_SESSION_GRACE, self._forget_session, session.key_id
        )
        self.emit(
            "created",
            principal_arn,
            key=session.key_id,
            expires_in=duration,
            caller=current_access_key() or "lab",
        )
        return session

    def _forget_session(self, key_id: str) -> None:
        """Drop a session whose credentials have expired."""
        session = self.iam.store.sessions.get(key_id)
        if session is not None and session.expires < self.clock.now():
            del self.iam.store.sessions[key_id]

    def _credentials(self, session: Session) -> dict[str, Any]:
        return {
            "AccessKeyId": session.key_id,
            "SecretAccessKey": session.secret,
            "SessionToken": session.token,
            "Expiration": self.iam.store.timestamp(session.expires),
        }


def _check_duration(duration: int, limit: int) -> None:
    if duration < MIN_DURATION or duration > limit:
        raise ServiceError(
            "ValidationError",
            f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to "
            f"satisfy constraint: Member must have value {'less' if duration > limit else 'greater'}"
            f" than or equal to {limit if duration > limit else MIN_DURATION}",
        )


def _packed_size(params: dict) -> int:
    """A percentage-like size of the packed session policies and tags (AWS's is opaque)."""
    text = params.get("Policy", "") + json.dumps(params.get("Tags", []))
    return min(100, max(1, len(text) * 100 // 2048))


def _jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT (not verified: the lab trusts the identity provider)."""
    parts = token.split(".")
    if len(parts) < 2:
        raise ServiceError(
            "InvalidIdentityToken",
            "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
        )
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except ValueError:
        raise ServiceError(
            "InvalidIdentityToken", "The web identity token could not be decoded."
        ) from None
    return claims if isinstance(claims, dict) else {}
