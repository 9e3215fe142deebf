"""AWS Identity and Access Management: users, groups, roles, policies, keys — and who is calling.

IAM is global: ARNs carry no region (`arn:aws:iam::123456789012:role/name`).

Internal API (other services, the wire endpoint, CloudFormation, lessons):

- `iam.identity_for_access_key(key_id) -> (principal_arn, secret_key) | None` — long-term keys
  from CreateAccessKey and STS temporary keys (AssumeRole, GetSessionToken …); None for unknown,
  inactive or expired keys.
- `iam.session_token_for(key_id) -> str | None` — the session token an STS key must be sent with.
- `iam.caller() -> Identity` — who the current call is (the wire sets the caller's key in
  `engine.identity`; no key or an unknown key is the account's root, the lab's admin).
- `iam.identity_for(key_id) -> Identity`.
- `iam.store` — the entities (`users`, `groups`, `roles`, `policies` by ARN, `keys`, `sessions`).
- `iam.authorizer` — policy decisions (`engine.iam_policy`): see docs/services/iam.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ...errors import ServiceError
from ...identity import current_access_key
from ...model import operations
from ...service import Service, delegate_operations
from . import persistence
from .authorizer import Authorizer
from .identities import Identity, credentials_of, identity_of
from .patterns import with_patterns
from .policies import PolicyOperations, load_aws_managed
from .roles import RoleOperations
from .simulation import SimulationOperations
from .store import IamStore
from .users import UserOperations

if TYPE_CHECKING:
    from ...engine import Engine

Operation = Callable[[dict], Any]


class IamService(Service):
    """IAM for the lab's account; operations live in delegated objects bound onto the service."""

    name = "iam"
    validation_error_code = "ValidationError"
    #: IAM answers values outside an enum with its own message (checked in `with_patterns`).
    check_enums = False

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.store = IamStore(self.account_id, self.clock.now)
        load_aws_managed(self.store)
        self.users = UserOperations(self.store, self.ids, self._caller_user_name)
        self.roles = RoleOperations(self.store, self.ids)
        self.policies = PolicyOperations(self.store, self.ids)
        self.authorizer = Authorizer(self)
        self.simulation = SimulationOperations(self)
        self.policies.bind(self)
        # IAM checks string parameters against the model's patterns server-side.
        for snake in operations("iam"):
            method = getattr(self, snake, None)
            if method is not None:
                setattr(self, snake, with_patterns("iam", snake, method))

    # -- who is calling -----------------------------------------------------------------------
    def identity_for_access_key(self, key_id: str) -> tuple[str, str] | None:
        """(principal ARN, secret key) for a key the lab issued and that is still valid."""
        return credentials_of(self.store, key_id)

    def session_token_for(self, key_id: str) -> str | None:
        """The session token that must accompany an STS temporary key (None otherwise)."""
        session = self.store.sessions.get(key_id)
        return session.token if session is not None else None

    def identity_for(self, key_id: str | None) -> Identity:
        """The identity `key_id` acts as (unknown keys: the account's root)."""
        return identity_of(self.store, key_id)

    def caller(self) -> Identity:
        """The identity of the call running now."""
        return identity_of(self.store, current_access_key())

    def _caller_user_name(self) -> str | None:
        identity = self.caller()
        if identity.kind == "user":
            return identity.entity_name
        if identity.is_root:
            return None
        raise ServiceError(
            "ValidationError", "Must specify userName when calling with non-User credentials"
        )

    # -- save / open -------------------------------------------------------------------------------
    def dump(self) -> dict[str, Any] | None:
        """The account's IAM entities (STS sessions are temporary and not saved)."""
        return persistence.dump(self.store)

    def load(self, data: dict[str, Any]) -> None:
        """Restore saved IAM entities."""
        persistence.load(self.store, data)


delegate_operations(
    IamService,
    {
        "users": UserOperations,
        "roles": RoleOperations,
        "policies": PolicyOperations,
        "simulation": SimulationOperations,
    },
)
