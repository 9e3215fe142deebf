"""AWS's shapes for stacks, resources, events and change sets (what the operations return)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from .models import Change, ChangeSet, Stack, StackEvent, StackResource
from .parameters import described_parameters


def when(epoch: float) -> datetime:
    """An epoch time as the timezone-aware datetime boto3 returns."""
    return datetime.fromtimestamp(epoch, UTC)


def stack_description(stack: Stack) -> dict[str, Any]:
    """One entry of DescribeStacks."""
    result: dict[str, Any] = {
        "StackId": stack.stack_id,
        "StackName": stack.name,
        "CreationTime": when(stack.created),
        "RollbackConfiguration": {},
        "StackStatus": stack.status,
        "DisableRollback": stack.disable_rollback,
        "NotificationARNs": list(stack.notification_arns),
        "Tags": [dict(tag) for tag in stack.tags],
        "EnableTerminationProtection": stack.termination_protection,
        "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
    }
    if stack.description is not None:
        result["Description"] = stack.description
    declared = stack.template.get("Parameters") or {}
    if declared:
        result["Parameters"] = described_parameters(declared, stack.resolved_parameters)
    if stack.updated is not None:
        result["LastUpdatedTime"] = when(stack.updated)
    if stack.deleted is not None:
        result["DeletionTime"] = when(stack.deleted)
    if stack.status_reason:
        result["StackStatusReason"] = stack.status_reason
    if stack.capabilities:
        result["Capabilities"] = list(stack.capabilities)
    if stack.outputs:
        result["Outputs"] = [dict(output) for output in stack.outputs]
    if stack.role_arn:
        result["RoleARN"] = stack.role_arn
    if stack.timeout_minutes:
        result["TimeoutInMinutes"] = stack.timeout_minutes
    return result


def stack_summary(stack: Stack) -> dict[str, Any]:
    """One entry of ListStacks."""
    result: dict[str, Any] = {
        "StackId": stack.stack_id,
        "StackName": stack.name,
        "CreationTime": when(stack.created),
        "StackStatus": stack.status,
        "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
    }
    if stack.description is not None:
        result["TemplateDescription"] = stack.description
    if stack.updated is not None:
        result["LastUpdatedTime"] = when(stack.updated)
    if stack.deleted is not None:
        result["DeletionTime"] = when(stack.deleted)
    if stack.status_reason:
        result["StackStatusReason"] = stack.status_reason
    return result


def event_description(event: StackEvent) -> dict[str, Any]:
    """One entry of DescribeStackEvents."""
    result: dict[str, Any] = {
        "StackId": event.stack_id,
        "EventId": event.event_id,
        "StackName": event.stack_name,
        "LogicalResourceId": event.logical_id,
        "PhysicalResourceId": event.physical_id,
        "ResourceType": event.type,
        "Timestamp": when(event.timestamp),
        "ResourceStatus": event.status,
    }
    if event.reason:
        result["ResourceStatusReason"] = event.reason
    if event.properties is not None:
        result["ResourceProperties"] = event.properties
    return result


def resource_description(stack: Stack, resource: StackResource, shape: str) -> dict[str, Any]:
    """A stack resource as DescribeStackResource ("detail"), DescribeStackResources
    ("resources") or ListStackResources ("summary") show it."""
    result: dict[str, Any] = {}
    if shape != "summary":
        result = {"StackName": stack.name, "StackId": stack.stack_id}
    result.update(
        {
            "LogicalResourceId": resource.logical_id,
            "PhysicalResourceId": resource.physical_id,
            "ResourceType": resource.type,
            "Timestamp" if shape == "resources" else "LastUpdatedTimestamp": when(resource.updated),
            "ResourceStatus": resource.status,
            "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"},
        }
    )
    if resource.status_reason:
        result["ResourceStatusReason"] = resource.status_reason
    metadata = resource.definition.get("Metadata")
    if shape == "detail" and metadata is not None:
        result["Metadata"] = json.dumps(metadata)
    return result


def change_description(change: Change) -> dict[str, Any]:
    """One entry of DescribeChangeSet's Changes."""
    resource: dict[str, Any] = {
        "Action": change.action,
        "LogicalResourceId": change.logical_id,
        "ResourceType": change.type,
        "Scope": list(change.scope),
        "Details": [dict(detail) for detail in change.details],
    }
    if change.physical_id:
        resource["PhysicalResourceId"] = change.physical_id
    if change.replacement is not None:
        resource["Replacement"] = change.replacement
    return {"Type": "Resource", "ResourceChange": resource}


def change_set_summary(change_set: ChangeSet) -> dict[str, Any]:
    """One entry of ListChangeSets."""
    result = {
        "StackId": change_set.stack_id,
        "StackName": change_set.stack_name,
        "ChangeSetId": change_set.arn,
        "ChangeSetName": change_set.name,
        "ExecutionStatus": change_set.execution_status,
        "Status": change_set.status,
        "CreationTime": when(change_set.created),
        "IncludeNestedStacks": change_set.include_nested,
    }
    if change_set.status_reason:
        result["StatusReason"] = change_set.status_reason
    if change_set.description is not None:
        result["Description"] = change_set.description
    return result
