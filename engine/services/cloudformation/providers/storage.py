"""S3 buckets (with notifications, versioning, tags) and bucket policies; DynamoDB tables (streams,
indexes, TTL)."""

from __future__ import annotations

from typing import Any

from .base import Outcome, Provider, Request, ignore_missing, json_text, tag_list

_WAIT_STEPS = 600


def _filter(config: dict[str, Any]) -> dict[str, Any]:
    rules = ((config.get("Filter") or {}).get("S3Key") or {}).get("Rules") or []
    return {"Filter": {"Key": {"FilterRules": rules}}} if rules else {}


def notification_configuration(props: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's NotificationConfiguration in PutBucketNotificationConfiguration's shape."""
    config = props.get("NotificationConfiguration") or {}
    result: dict[str, Any] = {}
    lambdas = [
        {"LambdaFunctionArn": c["Function"], "Events": [c["Event"]], **_filter(c)}
        for c in config.get("LambdaConfigurations") or []
    ]
    queues = [
        {"QueueArn": c["Queue"], "Events": [c["Event"]], **_filter(c)}
        for c in config.get("QueueConfigurations") or []
    ]
    topics = [
        {"TopicArn": c["Topic"], "Events": [c["Event"]], **_filter(c)}
        for c in config.get("TopicConfigurations") or []
    ]
    if lambdas:
        result["LambdaFunctionConfigurations"] = lambdas
    if queues:
        result["QueueConfigurations"] = queues
    if topics:
        result["TopicConfigurations"] = topics
    if (
        str((config.get("EventBridgeConfiguration") or {}).get("EventBridgeEnabled", "")).lower()
        == "true"
    ):
        result["EventBridgeConfiguration"] = {}
    return result


class BucketProvider(Provider):
    """AWS::S3::Bucket — Ref: the bucket name; GetAtt: Arn, DomainName, RegionalDomainName …"""

    type_name = "AWS::S3::Bucket"
    name_property = "BucketName"
    name_max = 63
    name_lower = True

    async def create(self, request: Request) -> Outcome:
        name = self.name(request)
        s3 = self.client("s3")
        await s3.create_bucket(Bucket=name)
        await self._configure(request.properties, name, {})
        region = self.engine.region
        return Outcome(
            name,
            {
                "Arn": f"arn:aws:s3:::{name}",
                "DomainName": f"{name}.s3.amazonaws.com",
                "DualStackDomainName": f"{name}.s3.dualstack.{region}.amazonaws.com",
                "RegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
                "WebsiteURL": f"http://{name}.s3-website-{region}.amazonaws.com",
                "BucketName": name,
            },
        )

    async def _configure(self, props: dict[str, Any], name: str, old: dict[str, Any]) -> None:
        s3 = self.client("s3")
        versioning = props.get("VersioningConfiguration")
        if versioning and versioning != old.get("VersioningConfiguration"):
            await s3.put_bucket_versioning(
                Bucket=name, VersioningConfiguration={"Status": versioning["Status"]}
            )
        notifications = notification_configuration(props)
        if notifications or old.get("NotificationConfiguration"):
            await s3.put_bucket_notification_configuration(
                Bucket=name, NotificationConfiguration=notifications
            )
        tags = tag_list(props)
        if tags and tags != tag_list(old):
            await self.call(
                "s3", "put_bucket_tagging", {"Bucket": name, "Tagging": {"TagSet": tags}}
            )

    async def update(self, request: Request) -> Outcome:
        await self._configure(request.properties, request.physical_id, request.previous)
        return Outcome(request.physical_id, dict(request.attributes))

    async def delete(self, request: Request) -> None:
        await ignore_missing(self.client("s3").delete_bucket(Bucket=request.physical_id))


class TableProvider(Provider):
    """AWS::DynamoDB::Table — Ref: the table name; GetAtt: Arn, StreamArn."""

    type_name = "AWS::DynamoDB::Table"
    name_property = "TableName"
    name_max = 255

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        name = self.name(request)
        params: dict[str, Any] = {**props, "TableName": name, "Tags": tag_list(props) or None}
        stream = props.get("StreamSpecification")
        if stream:
            params["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": stream["StreamViewType"],
            }
        if (
            params.get("BillingMode", "PROVISIONED") == "PROVISIONED"
            and "ProvisionedThroughput" not in params
        ):
            params["BillingMode"] = "PROVISIONED"
        params.pop("TimeToLiveSpecification", None)
        if "SSESpecification" in params:
            params["SSESpecification"] = {
                "Enabled": bool(params["SSESpecification"].get("SSEEnabled"))
            }
        table = (await self.call("dynamodb", "create_table", params))["TableDescription"]
        await self._active(name)
        ttl = props.get("TimeToLiveSpecification")
        if ttl and str(ttl.get("Enabled")).lower() == "true":
            await self.client("dynamodb").update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
            )
        return Outcome(
            name, {"Arn": table["TableArn"], "StreamArn": table.get("LatestStreamArn", "")}
        )

    async def _active(self, name: str) -> None:
        """CloudFormation reports a table created once it is ACTIVE."""
        dynamodb = self.client("dynamodb")
        for _ in range(_WAIT_STEPS):
            table = (await dynamodb.describe_table(TableName=name))["Table"]
            if table["TableStatus"] == "ACTIVE":
                return
            await self.engine.clock.sleep(1)

    async def update(self, request: Request) -> Outcome:
        props, old = request.properties, request.previous
        name = request.physical_id
        dynamodb = self.client("dynamodb")
        params: dict[str, Any] = {"TableName": name}
        if props.get("BillingMode") != old.get("BillingMode") and props.get("BillingMode"):
            params["BillingMode"] = props["BillingMode"]
        if props.get("ProvisionedThroughput") != old.get("ProvisionedThroughput") and props.get(
            "ProvisionedThroughput"
        ):
            params["ProvisionedThroughput"] = props["ProvisionedThroughput"]
        if props.get("StreamSpecification") != old.get("StreamSpecification"):
            stream = props.get("StreamSpecification")
            params["StreamSpecification"] = (
                {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
                if stream
                else {"StreamEnabled": False}
            )
        old_indexes = {i["IndexName"]: i for i in old.get("GlobalSecondaryIndexes") or []}
        new_indexes = {i["IndexName"]: i for i in props.get("GlobalSecondaryIndexes") or []}
        updates = [{"Delete": {"IndexName": n}} for n in old_indexes if n not in new_indexes]
        updates += [{"Create": index} for n, index in new_indexes.items() if n not in old_indexes]
        if updates:
            params["GlobalSecondaryIndexUpdates"] = updates
            params["AttributeDefinitions"] = props["AttributeDefinitions"]
        if len(params) > 1:
            table = (await dynamodb.update_table(**params))["TableDescription"]
        else:
            table = (await dynamodb.describe_table(TableName=name))["Table"]
        ttl, old_ttl = props.get("TimeToLiveSpecification"), old.get("TimeToLiveSpecification")
        if ttl != old_ttl:
            spec = ttl or {
                "Enabled": False,
                "AttributeName": (old_ttl or {}).get("AttributeName", "ttl"),
            }
            await dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={
                    "Enabled": str(spec.get("Enabled")).lower() == "true",
                    "AttributeName": spec["AttributeName"],
                },
            )
        return Outcome(
            name, {"Arn": table["TableArn"], "StreamArn": table.get("LatestStreamArn", "")}
        )

    async def delete(self, request: Request) -> None:
        await ignore_missing(self.client("dynamodb").delete_table(TableName=request.physical_id))


class BucketPolicyProvider(Provider):
    """AWS::S3::BucketPolicy — Ref: the bucket name."""

    type_name = "AWS::S3::BucketPolicy"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        await self.client("s3").put_bucket_policy(
            Bucket=props["Bucket"], Policy=json_text(props["PolicyDocument"])
        )
        return Outcome(props["Bucket"])

    async def update(self, request: Request) -> Outcome:
        return await self.create(request)

    async def delete(self, request: Request) -> None:
        await ignore_missing(self.client("s3").delete_bucket_policy(Bucket=request.physical_id))


PROVIDERS = (BucketProvider, BucketPolicyProvider, TableProvider)
