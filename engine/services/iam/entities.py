"""IAM's entities as small typed objects: users, groups, roles, policies, profiles and keys."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class PolicyVersion:
    """One version of a managed policy's document (the text as the caller sent it)."""

    version_id: str
    document: str
    created: float


@dataclass(slots=True)
class ManagedPolicy:
    """A customer managed (or AWS managed) policy with up to five versions."""

    name: str
    policy_id: str
    arn: str
    path: str
    created: float
    updated: float
    description: str | None = None
    default_version: str = "v1"
    versions: dict[str, PolicyVersion] = field(default_factory=dict)
    next_version: int = 2
    #: Entities (user/group/role ARNs) this policy is attached to.
    attached_to: set[str] = field(default_factory=set)
    #: Users and roles whose permissions boundary this policy is.
    boundary_of: set[str] = field(default_factory=set)
    tags: dict[str, str] = field(default_factory=dict)
    aws_managed: bool = False

    @property
    def document(self) -> str:
        """The default version's document."""
        return self.versions[self.default_version].document


@dataclass(slots=True)
class AccessKey:
    """A long-term access key of an IAM user."""

    key_id: str
    secret: str
    user_name: str
    created: float
    status: str = "Active"
    last_used: float | None = None
    last_used_service: str | None = None


@dataclass(slots=True)
class ServiceCredential:
    """A service-specific credential (CodeCommit, Keyspaces, Bedrock …) of an IAM user."""

    credential_id: str
    user_name: str
    service_name: str
    service_user_name: str
    password: str
    created: float
    status: str = "Active"


@dataclass(slots=True)
class Principal:
    """What users, groups and roles share: a name, an id, an ARN, and attached/inline policies."""

    name: str
    entity_id: str
    arn: str
    path: str
    created: float
    inline: dict[str, str] = field(default_factory=dict)  # policy name → document text
    attached: list[str] = field(default_factory=list)  # managed policy ARNs, in attach order
    tags: dict[str, str] = field(default_factory=dict)
    boundary: str | None = None  # permissions boundary policy ARN


@dataclass(slots=True)
class User(Principal):
    """An IAM user: long-term keys, group memberships."""

    groups: list[str] = field(default_factory=list)
    access_keys: dict[str, AccessKey] = field(default_factory=dict)
    service_credentials: dict[str, ServiceCredential] = field(default_factory=dict)
    password_set: bool = False


@dataclass(slots=True)
class Group(Principal):
    """An IAM group: its users take its policies."""

    members: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Role(Principal):
    """An IAM role: a trust policy says who may assume it."""

    trust_policy: str = ""
    description: str | None = None
    max_session_duration: int = 3600
    instance_profiles: list[str] = field(default_factory=list)
    service_linked: bool = False
    last_used: float | None = None


@dataclass(slots=True)
class InstanceProfile:
    """An instance profile: a container for (at most) one role."""

    name: str
    profile_id: str
    arn: str
    path: str
    created: float
    roles: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Session:
    """Temporary credentials from STS (AssumeRole, GetSessionToken …), valid until `expires`."""

    key_id: str
    secret: str
    token: str
    principal_arn: str  # assumed-role ARN, or the user/root ARN for GetSessionToken
    expires: float
    role_arn: str | None = None
    session_name: str | None = None
    source_identity: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    #: Tag keys this session passes on when it assumes another role (role chaining).
    transitive: tuple[str, ...] = ()
    #: Session policy (inline Policy / PolicyArns) that narrows the role's permissions.
    session_policies: list[str] = field(default_factory=list)
