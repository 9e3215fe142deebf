"""Stacks, their resources, events and change sets, as the service keeps them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class StackResource:
    """One resource of a stack: what the template said, what was made, and how it is doing."""

    logical_id: str
    type: str
    physical_id: str = ""
    status: str = ""
    status_reason: str = ""
    updated: float = 0.0
    #: The resolved properties it was created or last updated with.
    properties: dict[str, Any] = field(default_factory=dict)
    #: Fn::GetAtt values by attribute name.
    attributes: dict[str, Any] = field(default_factory=dict)
    #: The template's definition (unresolved): DeletionPolicy, DependsOn, Metadata …
    definition: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class StackEvent:
    """One line of a stack's event history (DescribeStackEvents)."""

    event_id: str
    stack_id: str
    stack_name: str
    logical_id: str
    physical_id: str
    type: str
    status: str
    timestamp: float
    reason: str = ""
    properties: str | None = None


@dataclass(slots=True)
class Change:
    """One resource change of a change set (DescribeChangeSet's ResourceChange)."""

    action: str  # Add | Modify | Remove | Dynamic
    logical_id: str
    type: str
    physical_id: str | None = None
    replacement: str | None = None  # True | False | Conditional
    scope: list[str] = field(default_factory=list)
    details: list[dict[str, Any]] = field(default_factory=list)
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


@dataclass(slots=True)
class ChangeSet:
    """A proposed update to a stack, created by CreateChangeSet and run by ExecuteChangeSet."""

    arn: str
    name: str
    stack_id: str
    stack_name: str
    change_set_type: str  # CREATE | UPDATE | IMPORT
    created: float
    template_body: str
    template: dict[str, Any]
    parameters: list[dict[str, Any]]
    tags: list[dict[str, str]]
    capabilities: list[str]
    description: str | None = None
    status: str = "CREATE_PENDING"
    status_reason: str = ""
    execution_status: str = "UNAVAILABLE"
    changes: list[Change] = field(default_factory=list)
    notification_arns: list[str] = field(default_factory=list)
    include_nested: bool = False


@dataclass(slots=True)
class Stack:
    """A CloudFormation stack."""

    stack_id: str
    name: str
    created: float
    status: str = "CREATE_IN_PROGRESS"
    status_reason: str = ""
    description: str | None = None
    template_body: str = ""
    #: The template after transforms (SAM, language extensions) — GetTemplate's Processed stage.
    template: dict[str, Any] = field(default_factory=dict)
    #: The raw template as submitted, parsed.
    original: dict[str, Any] = field(default_factory=dict)
    parameters: list[dict[str, Any]] = field(default_factory=list)
    resolved_parameters: dict[str, Any] = field(default_factory=dict)
    tags: list[dict[str, str]] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=list)
    notification_arns: list[str] = field(default_factory=list)
    outputs: list[dict[str, Any]] = field(default_factory=list)
    resources: dict[str, StackResource] = field(default_factory=dict)
    events: list[StackEvent] = field(default_factory=list)
    change_sets: dict[str, ChangeSet] = field(default_factory=dict)
    updated: float | None = None
    deleted: float | None = None
    termination_protection: bool = False
    disable_rollback: bool = False
    role_arn: str | None = None
    timeout_minutes: int | None = None
    #: Template warnings cfn-lint found at the last deploy.
    warnings: list[str] = field(default_factory=list)
    exports: dict[str, str] = field(default_factory=dict)
    #: The change set that last changed the stack (DescribeStacks' ChangeSetId).
    change_set_id: str | None = None

    @property
    def in_progress(self) -> bool:
        """Whether an operation is running on the stack."""
        return self.status.endswith("_IN_PROGRESS")
