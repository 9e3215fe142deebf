"""Export steps for the lab's brokers: Amazon MQ brokers and Amazon MSK clusters.

A broker user's password cannot be read back (AWS does not return it either), so each user gets a
Secrets Manager secret with a generated password, and the broker reads it through a dynamic
reference: the template carries no password, and the copy in AWS gets its own.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .export_naming import logical_name

if TYPE_CHECKING:
    from .export import Exporter

#: DescribeBroker fields a template sets as they are.
_BROKER_FIELDS = (
    "EngineType",
    "EngineVersion",
    "HostInstanceType",
    "DeploymentMode",
    "PubliclyAccessible",
    "AutoMinorVersionUpgrade",
    "AuthenticationStrategy",
)
#: Characters Amazon MQ refuses in a password.
_PASSWORD_EXCLUDES = ",:="


async def brokers(x: Exporter) -> None:
    """AWS::AmazonMQ::Broker per broker, each user's password generated in a secret."""
    if x.service("mq") is None:
        return
    mq = x.engine.client("mq")
    for summary in (await mq.list_brokers()).get("BrokerSummaries", []):
        if not x.wanted(summary["BrokerId"], summary["BrokerArn"]):
            continue
        broker = await mq.describe_broker(BrokerId=summary["BrokerId"])
        name = broker["BrokerName"]
        props: dict[str, Any] = {"BrokerName": name}
        for key in _BROKER_FIELDS:
            if broker.get(key) not in (None, ""):
                props[key] = broker[key]
        users, secrets = [], []
        for listed in broker.get("Users", []):
            user = listed
            if broker.get("EngineType") == "ACTIVEMQ":
                # RabbitMQ keeps its users in the broker; ActiveMQ's are Amazon MQ's to describe.
                user = await mq.describe_user(
                    BrokerId=broker["BrokerId"], Username=listed["Username"]
                )
            secret_name = f"{name}-{user['Username']}-mq"
            secrets.append(
                x.add(
                    logical_name(secret_name, "Secret"),
                    "AWS::SecretsManager::Secret",
                    {
                        "Name": secret_name,
                        "Description": f"Amazon MQ password of {user['Username']} on {name}",
                        "GenerateSecretString": {
                            "SecretStringTemplate": json.dumps({"username": user["Username"]}),
                            "GenerateStringKey": "password",
                            "PasswordLength": 20,
                            "ExcludeCharacters": _PASSWORD_EXCLUDES,
                        },
                    },
                )
            )
            entry: dict[str, Any] = {
                "Username": user["Username"],
                "Password": f"{{{{resolve:secretsmanager:{secret_name}:SecretString:password}}}}",
            }
            if user.get("ConsoleAccess"):
                entry["ConsoleAccess"] = True
            if user.get("Groups"):
                entry["Groups"] = list(user["Groups"])
            users.append(entry)
        props["Users"] = users
        if broker.get("Tags"):
            props["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(broker["Tags"].items())]
        logical_id = x.add(logical_name(name, "Broker"), "AWS::AmazonMQ::Broker", props)
        if secrets:
            x.resources[logical_id]["DependsOn"] = secrets
        x.known(broker["BrokerId"], logical_id)
        x.known(broker["BrokerArn"], logical_id, "Arn")


async def clusters(x: Exporter) -> None:
    """AWS::MSK::Cluster or AWS::MSK::ServerlessCluster per MSK cluster."""
    if x.service("kafka") is None:
        return
    kafka = x.engine.client("kafka")
    for info in (await kafka.list_clusters_v2()).get("ClusterInfoList", []):
        if not x.wanted(info["ClusterArn"]):
            continue
        name = info["ClusterName"]
        tags = info.get("Tags") or {}
        if info.get("ClusterType") == "SERVERLESS":
            serverless = info.get("Serverless") or {}
            props: dict[str, Any] = {
                "ClusterName": name,
                "VpcConfigs": serverless.get("VpcConfigs", []),
                "ClientAuthentication": serverless.get("ClientAuthentication")
                or {"Sasl": {"Iam": {"Enabled": True}}},
            }
            kind = "AWS::MSK::ServerlessCluster"
            if tags:
                props["Tags"] = dict(tags)
        else:
            provisioned = info.get("Provisioned") or {}
            props = {
                "ClusterName": name,
                "KafkaVersion": provisioned.get("CurrentBrokerSoftwareInfo", {}).get(
                    "KafkaVersion"
                ),
                "NumberOfBrokerNodes": provisioned.get("NumberOfBrokerNodes"),
                "BrokerNodeGroupInfo": provisioned.get("BrokerNodeGroupInfo"),
            }
            props = {k: v for k, v in props.items() if v not in (None, {})}
            kind = "AWS::MSK::Cluster"
            if tags:
                props["Tags"] = dict(tags)
        logical_id = x.add(logical_name(name, "Cluster"), kind, props)
        x.known(info["ClusterArn"], logical_id)
