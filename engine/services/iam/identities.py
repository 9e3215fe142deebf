"""Who an access key belongs to: IAM users' long-term keys and STS sessions' temporary keys."""

from __future__ import annotations

from dataclasses import dataclass

from .entities import Session
from .store import IamStore


@dataclass(frozen=True, slots=True)
class Identity:
    """A calling principal as GetCallerIdentity and policy evaluation see it."""

    arn: str  # the principal ARN: user, root, assumed-role session or federated user
    user_id: str  # GetCallerIdentity's UserId (AIDA…, AROA…:session, or the account id)
    account: str
    kind: str  # "root", "user", "assumed-role", "federated-user"
    #: The IAM entity whose policies apply: the user's or role's name (None for root/federated).
    entity_name: str | None = None
    session: Session | None = None

    @property
    def is_root(self) -> bool:
        """Whether this is the account's root identity (the lab's admin: always allowed)."""
        return self.kind == "root"

    @property
    def role_arn(self) -> str | None:
        """For an assumed-role session: the role's IAM ARN."""
        return self.session.role_arn if self.session is not None else None


def root_identity(account: str) -> Identity:
    """The account's root: what unknown keys and in-process clients act as."""
    return Identity(f"arn:aws:iam::{account}:root", account, account, "root")


def identity_of(store: IamStore, key_id: str | None) -> Identity:
    """The identity `key_id` maps to (unknown, inactive or expired keys act as root)."""
    if key_id is None:
        return root_identity(store.account_id)
    key = store.keys.get(key_id)
    if key is not None and key.status == "Active":
        user = store.users.get(key.user_name)
        if user is not None:
            return Identity(user.arn, user.entity_id, store.account_id, "user", user.name)
    session = store.sessions.get(key_id)
    if session is not None and session.expires > store.now():
        return session_identity(store, session)
    return root_identity(store.account_id)


def session_identity(store: IamStore, session: Session) -> Identity:
    """The identity of an STS session's temporary credentials."""
    if session.role_arn is not None:
        role = store.role_by_arn(session.role_arn)
        role_id = role.entity_id if role is not None else "AROA" + "0" * 17
        name = role.name if role is not None else session.role_arn.rsplit("/", 1)[-1]
        return Identity(
            session.principal_arn,
            f"{role_id}:{session.session_name}",
            store.account_id,
            "assumed-role",
            name,
            session,
        )
    if ":federated-user/" in session.principal_arn:
        return Identity(
            session.principal_arn,
            f"{store.account_id}:{session.session_name}",
            store.account_id,
            "federated-user",
            None,
            session,
        )
    user = store.user_by_arn(session.principal_arn)
    if user is not None:
        return Identity(user.arn, user.entity_id, store.account_id, "user", user.name, session)
    return Identity(
        session.principal_arn, store.account_id, store.account_id, "root", None, session
    )


def credentials_of(store: IamStore, key_id: str) -> tuple[str, str] | None:
    """(principal ARN, secret access key) for a known, active, unexpired key; else None."""
    key = store.keys.get(key_id)
    if key is not None:
        if key.status != "Active" or key.user_name not in store.users:
            return None
        return store.users[key.user_name].arn, key.secret
    session = store.sessions.get(key_id)
    if session is not None and session.expires > store.now():
        return session.principal_arn, session.secret
    return None
