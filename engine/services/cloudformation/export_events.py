"""Export steps for EventBridge's supporting resources: archives, connections, API destinations
and custom schema registries.

A connection's credential (API key value, password, OAuth client secret) cannot be read back,
so export generates one in a Secrets Manager secret and the connection reads it through a
dynamic reference: the template carries no credential, and the copy gets its own to fill in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .export_naming import logical_name

if TYPE_CHECKING:
    from .export import Exporter

#: Where each authorization type keeps its one secret value, and that value's member name.
_SECRET_MEMBER = {
    "API_KEY": ("ApiKeyAuthParameters", "ApiKeyValue"),
    "BASIC": ("BasicAuthParameters", "Password"),
    "OAUTH_CLIENT_CREDENTIALS": ("OAuthParameters", "ClientParameters"),
}


async def archives(x: Exporter) -> None:
    """AWS::Events::Archive per archive, its bus by reference."""
    if x.service("events") is None:
        return
    events = x.engine.client("events")
    for summary in (await events.list_archives()).get("Archives", []):
        archive = await events.describe_archive(ArchiveName=summary["ArchiveName"])
        if not x.wanted(archive["ArchiveArn"], archive["ArchiveName"]):
            continue
        props: dict[str, Any] = {
            "ArchiveName": archive["ArchiveName"],
            "SourceArn": x.reference(archive["EventSourceArn"]),
        }
        for key in ("Description", "EventPattern", "RetentionDays"):
            if archive.get(key) not in (None, "", 0):
                props[key] = archive[key]
        logical_id = x.add(
            logical_name(archive["ArchiveName"], "Archive"), "AWS::Events::Archive", props
        )
        x.known(archive["ArchiveArn"], logical_id, "Arn")


async def connections(x: Exporter) -> None:
    """AWS::Events::Connection per connection (credential generated) and its API destinations."""
    if x.service("events") is None:
        return
    events = x.engine.client("events")
    for summary in (await events.list_connections()).get("Connections", []):
        connection = await events.describe_connection(Name=summary["Name"])
        if not x.wanted(connection["ConnectionArn"], connection["Name"]):
            continue
        name = connection["Name"]
        kind = connection["AuthorizationType"]
        auth = _without_secrets(connection.get("AuthParameters") or {})
        secret_name = f"{name}-connection-credential"
        secret = x.add(
            logical_name(secret_name, "Secret"),
            "AWS::SecretsManager::Secret",
            {
                "Name": secret_name,
                "Description": f"The credential of EventBridge connection {name}: set it",
                "GenerateSecretString": {"PasswordLength": 32, "ExcludePunctuation": True},
            },
        )
        reference = f"{{{{resolve:secretsmanager:{secret_name}}}}}"
        block, member = _SECRET_MEMBER[kind]
        if kind == "OAUTH_CLIENT_CREDENTIALS":
            auth.setdefault(block, {}).setdefault(member, {})["ClientSecret"] = reference
        else:
            auth.setdefault(block, {})[member] = reference
        props: dict[str, Any] = {"Name": name, "AuthorizationType": kind, "AuthParameters": auth}
        if connection.get("Description"):
            props["Description"] = connection["Description"]
        logical_id = x.add(logical_name(name, "Connection"), "AWS::Events::Connection", props)
        x.resources[logical_id]["DependsOn"] = [secret]
        x.known(connection["ConnectionArn"], logical_id, "Arn")
    for destination in (await events.list_api_destinations()).get("ApiDestinations", []):
        if not x.wanted(destination["ApiDestinationArn"], destination["Name"]):
            continue
        props = {
            "Name": destination["Name"],
            "ConnectionArn": x.reference(destination["ConnectionArn"]),
            "InvocationEndpoint": destination["InvocationEndpoint"],
            "HttpMethod": destination["HttpMethod"],
        }
        if destination.get("InvocationRateLimitPerSecond"):
            props["InvocationRateLimitPerSecond"] = destination["InvocationRateLimitPerSecond"]
        logical_id = x.add(
            logical_name(destination["Name"], "ApiDestination"),
            "AWS::Events::ApiDestination",
            props,
        )
        x.known(destination["ApiDestinationArn"], logical_id, "Arn")


async def registries(x: Exporter) -> None:
    """AWS::EventSchemas::Registry per custom registry (AWS's own `aws.events` is not a user's)."""
    if x.service("schemas") is None:
        return
    schemas = x.engine.client("schemas")
    for registry in (await schemas.list_registries()).get("Registries", []):
        name = registry["RegistryName"]
        if name.startswith("aws.") or not x.wanted(registry["RegistryArn"], name):
            continue
        described = await schemas.describe_registry(RegistryName=name)
        props: dict[str, Any] = {"RegistryName": name}
        if described.get("Description"):
            props["Description"] = described["Description"]
        logical_id = x.add(logical_name(name, "Registry"), "AWS::EventSchemas::Registry", props)
        x.known(registry["RegistryArn"], logical_id)


def _without_secrets(parameters: dict[str, Any]) -> dict[str, Any]:
    """AuthParameters as DescribeConnection shows them, less what a template cannot carry."""
    kept: dict[str, Any] = {}
    for block, value in parameters.items():
        if isinstance(value, dict):
            kept[block] = {
                k: _without_secrets(v) if isinstance(v, dict) else v
                for k, v in value.items()
                if k not in ("ApiKeyValue", "Password", "ClientSecret")
            }
        else:
            kept[block] = value
    return kept
