"""The lab as a template: its resources read through the lab's APIs, references made Ref/GetAtt.

`await export_template(engine, fmt="sam", stack_name=None, code_dir=None)` returns a template
that cfn-lint accepts and that deploys into a fresh lab to the same topology. Names are kept;
an ARN, URL or name that points at another exported resource becomes `Ref`/`Fn::GetAtt`
(inside state machine definitions: `DefinitionSubstitutions`); function code is inline when
it is one small `index.py`, else written to `code_dir/<function>/` and named by `CodeUri`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from . import export_brokers as brokers
from . import export_events as event_extras
from . import export_operations as operations
from .export_naming import logical_name

if TYPE_CHECKING:
    from engine.engine import Engine

INLINE_LIMIT = 4096
#: Queue attributes a template sets (the rest are read-only or defaults).
_QUEUE_ATTRIBUTES = {
    "DelaySeconds": ("0", int),
    "MaximumMessageSize": ("1048576", int),
    "MessageRetentionPeriod": ("345600", int),
    "ReceiveMessageWaitTimeSeconds": ("0", int),
    "VisibilityTimeout": ("30", int),
    "ContentBasedDeduplication": ("false", lambda v: v == "true"),
    "FifoQueue": ("false", lambda v: v == "true"),
}


@dataclass(slots=True)
class Exporter:
    """Collects resources and rewrites references between them."""

    engine: Engine
    fmt: str
    code_dir: Path | None
    only: set[str] | None = None
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: physical id / ARN / URL → (logical id, attribute or "Ref")
    index: dict[str, tuple[str, str]] = field(default_factory=dict)
    started: set[str] = field(default_factory=set)

    def add(self, logical_id: str, kind: str, properties: dict[str, Any]) -> str:
        base, n = logical_id, 2
        while logical_id in self.resources:
            logical_id, n = f"{base}{n}", n + 1
        self.resources[logical_id] = {"Type": kind, "Properties": properties}
        return logical_id

    def known(self, value: str, logical_id: str, attribute: str = "Ref") -> None:
        self.index.setdefault(value, (logical_id, attribute))

    def wanted(self, *identifiers: str) -> bool:
        return self.only is None or any(i in self.only for i in identifiers)

    def reference(self, value: Any) -> Any:
        """`value` with exported resources' ids/ARNs replaced by Ref/GetAtt (deeply)."""
        if isinstance(value, str):
            target = self.index.get(value)
            if target is None:
                return value
            logical_id, attribute = target
            return (
                {"Ref": logical_id}
                if attribute == "Ref"
                else {"Fn::GetAtt": [logical_id, attribute]}
            )
        if isinstance(value, dict):
            return {k: self.reference(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.reference(v) for v in value]
        return value

    def service(self, name: str) -> Any:
        return self.engine.service(name) if name in self.started else None


async def export_template(
    engine: Engine,
    fmt: str = "sam",
    stack_name: str | None = None,
    code_dir: Path | None = None,
) -> dict[str, Any]:
    """The lab's current resources (or one stack's) as a CloudFormation or SAM template."""
    if fmt not in ("sam", "cloudformation"):
        raise ServiceError("ValidationError", f"Unknown format {fmt!r}: use sam or cloudformation")
    only = None
    if stack_name is not None:
        cfn: Any = engine.service("cloudformation")
        stack = cfn.store.get(stack_name)
        only = {r.physical_id for r in stack.resources.values()}
        only |= {
            v for r in stack.resources.values() for v in r.attributes.values() if isinstance(v, str)
        }
    exporter = Exporter(
        engine, fmt, code_dir, only, started={s.name for s in engine.started_services()}
    )
    # Order matters: targets first so their references can be rewritten.
    for step in (
        _roles,
        _queues,
        _topics,
        _tables,
        _streams,
        _functions,
        _buses,
        _state_machines,
        _subscriptions,
        _rules,
        _mappings,
        _buckets,
        _rest_apis,
        _http_apis,
        _pipes,
        operations.log_groups,
        operations.alarms,
        operations.secrets,
        operations.schedules,
        operations.delivery_streams,
        operations.usage_plans,
        brokers.brokers,
        brokers.clusters,
        event_extras.archives,
        event_extras.connections,
        event_extras.registries,
    ):
        await step(exporter)
    template: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09"}
    if fmt == "sam":
        template["Transform"] = "AWS::Serverless-2016-10-31"
    template["Description"] = "Exported from a Pipework lab"
    template["Resources"] = exporter.resources or {
        "Placeholder": {"Type": "AWS::SQS::Queue", "Properties": {}}
    }
    if engine.trace.enabled:
        engine.trace.emit(
            "exported",
            "cloudformation",
            stack_name or "lab",
            format=fmt,
            resources=len(template["Resources"]),
        )
    return template


async def _roles(x: Exporter) -> None:
    if x.service("iam") is None:
        return
    iam = x.engine.client("iam")
    for role in (await iam.list_roles()).get("Roles", []):
        name, arn = role["RoleName"], role["Arn"]
        if role.get("Path", "/") != "/" or not x.wanted(name, arn):
            continue
        document = role.get("AssumeRolePolicyDocument")
        props: dict[str, Any] = {
            "RoleName": name,
            "AssumeRolePolicyDocument": json.loads(document)
            if isinstance(document, str)
            else document,
        }
        inline = []
        for policy_name in (await iam.list_role_policies(RoleName=name)).get("PolicyNames", []):
            policy = await iam.get_role_policy(RoleName=name, PolicyName=policy_name)
            body = policy["PolicyDocument"]
            inline.append(
                {
                    "PolicyName": policy_name,
                    "PolicyDocument": json.loads(body) if isinstance(body, str) else body,
                }
            )
        if inline:
            props["Policies"] = inline
        attached = (await iam.list_attached_role_policies(RoleName=name)).get(
            "AttachedPolicies", []
        )
        if attached:
            props["ManagedPolicyArns"] = [p["PolicyArn"] for p in attached]
        logical_id = x.add(logical_name(name, "Role"), "AWS::IAM::Role", props)
        x.known(name, logical_id)
        x.known(arn, logical_id, "Arn")


async def _queues(x: Exporter) -> None:
    sqs = x.engine.client("sqs")
    if x.service("sqs") is None:
        return
    for url in (await sqs.list_queues()).get("QueueUrls", []):
        attributes = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]))[
            "Attributes"
        ]
        arn = attributes["QueueArn"]
        if not x.wanted(url, arn):
            continue
        name = url.rsplit("/", 1)[1]
        props: dict[str, Any] = {"QueueName": name}
        for key, (default, convert) in _QUEUE_ATTRIBUTES.items():
            if key in attributes and attributes[key] != default:
                props[key] = convert(attributes[key])
        logical_id = x.add(
            logical_name(name.removesuffix(".fifo"), "Queue"), "AWS::SQS::Queue", props
        )
        x.known(url, logical_id)
        x.known(arn, logical_id, "Arn")
        if attributes.get("RedrivePolicy"):
            props["RedrivePolicy"] = json.loads(attributes["RedrivePolicy"])
    # Dead-letter targets are other queues: rewrite once every queue is known.
    for definition in x.resources.values():
        props = definition["Properties"]
        if "RedrivePolicy" in props:
            props["RedrivePolicy"] = x.reference(props["RedrivePolicy"])


async def _topics(x: Exporter) -> None:
    if x.service("sns") is None:
        return
    sns = x.engine.client("sns")
    for topic in (await sns.list_topics()).get("Topics", []):
        arn = topic["TopicArn"]
        if not x.wanted(arn):
            continue
        attributes = (await sns.get_topic_attributes(TopicArn=arn))["Attributes"]
        name = arn.rsplit(":", 1)[1]
        props: dict[str, Any] = {"TopicName": name}
        if attributes.get("FifoTopic") == "true":
            props["FifoTopic"] = True
        if attributes.get("DisplayName"):
            props["DisplayName"] = attributes["DisplayName"]
        logical_id = x.add(
            logical_name(name.removesuffix(".fifo"), "Topic"), "AWS::SNS::Topic", props
        )
        x.known(arn, logical_id)


async def _subscriptions(x: Exporter) -> None:
    if x.service("sns") is None:
        return
    sns = x.engine.client("sns")
    for sub in (await sns.list_subscriptions()).get("Subscriptions", []):
        if sub["TopicArn"] not in x.index or sub["SubscriptionArn"] in ("PendingConfirmation",):
            continue
        attributes = (
            await sns.get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"])
        )["Attributes"]
        props: dict[str, Any] = {
            "TopicArn": x.reference(sub["TopicArn"]),
            "Protocol": sub["Protocol"],
            "Endpoint": x.reference(sub["Endpoint"]),
        }
        if attributes.get("FilterPolicy"):
            props["FilterPolicy"] = json.loads(attributes["FilterPolicy"])
            if attributes.get("FilterPolicyScope", "MessageAttributes") != "MessageAttributes":
                props["FilterPolicyScope"] = attributes["FilterPolicyScope"]
        if attributes.get("RawMessageDelivery") == "true":
            props["RawMessageDelivery"] = True
        topic = x.index[sub["TopicArn"]][0]
        x.add(f"{topic}Subscription", "AWS::SNS::Subscription", props)


async def _tables(x: Exporter) -> None:
    if x.service("dynamodb") is None:
        return
    ddb = x.engine.client("dynamodb")
    for name in (await ddb.list_tables()).get("TableNames", []):
        table = (await ddb.describe_table(TableName=name))["Table"]
        if not x.wanted(name, table["TableArn"]):
            continue
        billing = (table.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")
        props: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": table["AttributeDefinitions"],
            "KeySchema": table["KeySchema"],
            "BillingMode": billing,
        }
        if billing == "PROVISIONED":
            throughput = table["ProvisionedThroughput"]
            props["ProvisionedThroughput"] = {
                k: throughput[k] for k in ("ReadCapacityUnits", "WriteCapacityUnits")
            }
        indexes = []
        for index in table.get("GlobalSecondaryIndexes") or []:
            entry = {k: index[k] for k in ("IndexName", "KeySchema", "Projection")}
            if billing == "PROVISIONED":
                entry["ProvisionedThroughput"] = {
                    k: index["ProvisionedThroughput"][k]
                    for k in ("ReadCapacityUnits", "WriteCapacityUnits")
                }
            indexes.append(entry)
        if indexes:
            props["GlobalSecondaryIndexes"] = indexes
        stream = table.get("StreamSpecification") or {}
        if stream.get("StreamEnabled"):
            props["StreamSpecification"] = {"StreamViewType": stream["StreamViewType"]}
        logical_id = x.add(logical_name(name, "Table"), "AWS::DynamoDB::Table", props)
        x.known(name, logical_id)
        x.known(table["TableArn"], logical_id, "Arn")
        if table.get("LatestStreamArn"):
            x.known(table["LatestStreamArn"], logical_id, "StreamArn")


async def _streams(x: Exporter) -> None:
    if x.service("kinesis") is None:
        return
    kinesis = x.engine.client("kinesis")
    for name in (await kinesis.list_streams()).get("StreamNames", []):
        summary = (await kinesis.describe_stream_summary(StreamName=name))[
            "StreamDescriptionSummary"
        ]
        if not x.wanted(name, summary["StreamARN"]):
            continue
        mode = (summary.get("StreamModeDetails") or {}).get("StreamMode", "PROVISIONED")
        props: dict[str, Any] = {"Name": name}
        if mode == "ON_DEMAND":
            props["StreamModeDetails"] = {"StreamMode": mode}
        else:
            props["ShardCount"] = summary["OpenShardCount"]
        if summary.get("RetentionPeriodHours", 24) != 24:
            props["RetentionPeriodHours"] = summary["RetentionPeriodHours"]
        logical_id = x.add(logical_name(name, "Stream"), "AWS::Kinesis::Stream", props)
        x.known(name, logical_id)
        x.known(summary["StreamARN"], logical_id, "Arn")


async def _functions(x: Exporter) -> None:
    service = x.service("lambda")
    if service is None:
        return
    lam = x.engine.client("lambda")
    for config in (await lam.list_functions()).get("Functions", []):
        name, arn = config["FunctionName"], config["FunctionArn"]
        if not x.wanted(name, arn):
            continue
        function = service.functions[name]
        bundle = function.latest.bundle
        files = dict(bundle.files) if bundle is not None else {}
        props: dict[str, Any] = {
            "FunctionName": name,
            "Runtime": config["Runtime"],
            "Handler": config["Handler"],
            "Timeout": config["Timeout"],
            "MemorySize": config["MemorySize"],
        }
        if config.get("Description"):
            props["Description"] = config["Description"]
        variables = (config.get("Environment") or {}).get("Variables")
        if variables:
            props["Environment"] = {"Variables": x.reference(dict(variables))}
        kind = "AWS::Serverless::Function" if x.fmt == "sam" else "AWS::Lambda::Function"
        inline = _inline_source(files)
        if kind == "AWS::Lambda::Function":
            props["Role"] = x.reference(config["Role"])
            if inline is not None:
                props["Code"] = {"ZipFile": inline}
            else:
                props["Code"] = (
                    {"ZipFile": inline or ""}
                    if not files
                    else _code_folder(x, name, files, cfn=True)
                )
        else:
            props["Role"] = x.reference(config["Role"])
            if inline is not None:
                props["InlineCode"] = inline
            elif not files:
                props["InlineCode"] = "# a Pipework demo function: the handler names it\n"
            else:
                props["CodeUri"] = _code_folder(x, name, files, cfn=False)
        logical_id = x.add(logical_name(name, "Function"), kind, props)
        x.known(name, logical_id)
        x.known(arn, logical_id, "Arn")


def _inline_source(files: dict[str, bytes]) -> str | None:
    if list(files) != ["index.py"] or len(files["index.py"]) > INLINE_LIMIT:
        return None
    try:
        return files["index.py"].decode()
    except UnicodeDecodeError:
        return None


def _code_folder(x: Exporter, name: str, files: dict[str, bytes], *, cfn: bool) -> Any:
    if x.code_dir is None:
        raise ServiceError(
            "ValidationError",
            f"Function {name} has more than one small index.py: export it with a code folder",
        )
    folder = x.code_dir / name
    for relative, data in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    relative = f"{x.code_dir.name}/{name}"
    return relative


async def _buses(x: Exporter) -> None:
    if x.service("events") is None:
        return
    events = x.engine.client("events")
    for bus in (await events.list_event_buses()).get("EventBuses", []):
        if bus["Name"] == "default":
            continue
        if not x.wanted(bus["Name"], bus["Arn"]):
            continue
        logical_id = x.add(
            logical_name(bus["Name"], "Bus"), "AWS::Events::EventBus", {"Name": bus["Name"]}
        )
        x.known(bus["Name"], logical_id)
        x.known(bus["Arn"], logical_id, "Arn")


async def _rules(x: Exporter) -> None:
    if x.service("events") is None:
        return
    events = x.engine.client("events")
    for bus in (await events.list_event_buses()).get("EventBuses", []):
        if bus["Name"] != "default" and bus["Name"] not in x.index:
            continue
        for rule in (await events.list_rules(EventBusName=bus["Name"])).get("Rules", []):
            if rule.get("ManagedBy") or not x.wanted(
                rule["Name"], rule["Arn"], f"{bus['Name']}|{rule['Name']}"
            ):
                continue
            props: dict[str, Any] = {"Name": rule["Name"], "State": rule.get("State", "ENABLED")}
            if bus["Name"] != "default":
                props["EventBusName"] = x.reference(bus["Name"])
            if rule.get("EventPattern"):
                props["EventPattern"] = json.loads(rule["EventPattern"])
            if rule.get("ScheduleExpression"):
                props["ScheduleExpression"] = rule["ScheduleExpression"]
            if rule.get("Description"):
                props["Description"] = rule["Description"]
            targets = (
                await events.list_targets_by_rule(Rule=rule["Name"], EventBusName=bus["Name"])
            ).get("Targets", [])
            if targets:
                props["Targets"] = [x.reference(t) for t in targets]
            logical_id = x.add(logical_name(rule["Name"], "Rule"), "AWS::Events::Rule", props)
            for target in targets:
                target_id = x.index.get(target["Arn"])
                if target_id is not None and x.resources[target_id[0]]["Type"].endswith("Function"):
                    x.add(
                        f"{logical_id}Permission",
                        "AWS::Lambda::Permission",
                        {
                            "FunctionName": x.reference(target["Arn"]),
                            "Action": "lambda:InvokeFunction",
                            "Principal": "events.amazonaws.com",
                            "SourceArn": {"Fn::GetAtt": [logical_id, "Arn"]},
                        },
                    )


async def _state_machines(x: Exporter) -> None:
    if x.service("stepfunctions") is None:
        return
    sfn = x.engine.client("stepfunctions")
    for machine in (await sfn.list_state_machines()).get("stateMachines", []):
        arn = machine["stateMachineArn"]
        if not x.wanted(arn):
            continue
        described = await sfn.describe_state_machine(stateMachineArn=arn)
        definition = described["definition"]
        substitutions: dict[str, Any] = {}
        for physical, (logical_id, attribute) in sorted(
            x.index.items(), key=lambda item: -len(item[0])
        ):
            if physical.startswith("arn:") and physical in definition:
                key = f"{logical_id}{'' if attribute == 'Ref' else attribute}"
                definition = definition.replace(physical, "${" + key + "}")
                substitutions[key] = x.reference(physical)
        props: dict[str, Any] = {
            "StateMachineName": machine["name"],
            "Definition": json.loads(definition),
            "RoleArn" if x.fmt != "sam" else "Role": x.reference(described["roleArn"]),
        }
        if machine.get("type", "STANDARD") != "STANDARD":
            props["Type" if x.fmt == "sam" else "StateMachineType"] = machine["type"]
        if substitutions:
            props["DefinitionSubstitutions"] = substitutions
        if x.fmt == "sam":
            props["Name"] = props.pop("StateMachineName")
            kind = "AWS::Serverless::StateMachine"
        else:
            kind = "AWS::StepFunctions::StateMachine"
        logical_id = x.add(logical_name(machine["name"], "StateMachine"), kind, props)
        x.known(arn, logical_id)


async def _mappings(x: Exporter) -> None:
    if x.service("lambda") is None:
        return
    lam = x.engine.client("lambda")
    for mapping in (await lam.list_event_source_mappings()).get("EventSourceMappings", []):
        if mapping["FunctionArn"] not in x.index or mapping.get("EventSourceArn") not in x.index:
            continue
        props: dict[str, Any] = {
            "FunctionName": x.reference(mapping["FunctionArn"]),
            "EventSourceArn": x.reference(mapping["EventSourceArn"]),
            "BatchSize": mapping["BatchSize"],
            "Enabled": mapping.get("State", "Enabled") not in ("Disabled", "Disabling"),
        }
        if mapping.get("StartingPosition"):
            props["StartingPosition"] = mapping["StartingPosition"]
        if mapping.get("MaximumBatchingWindowInSeconds"):
            props["MaximumBatchingWindowInSeconds"] = mapping["MaximumBatchingWindowInSeconds"]
        if mapping.get("FilterCriteria"):
            props["FilterCriteria"] = mapping["FilterCriteria"]
        if mapping.get("FunctionResponseTypes"):
            props["FunctionResponseTypes"] = mapping["FunctionResponseTypes"]
        function = x.index[mapping["FunctionArn"]][0]
        x.add(f"{function}Mapping", "AWS::Lambda::EventSourceMapping", props)


async def _buckets(x: Exporter) -> None:
    if x.service("s3") is None:
        return
    s3 = x.engine.client("s3")
    for bucket in (await s3.list_buckets()).get("Buckets", []):
        name = bucket["Name"]
        if name.startswith("pipework-cloudformation-artifacts") or not x.wanted(name):
            continue
        props: dict[str, Any] = {"BucketName": name}
        config = await s3.get_bucket_notification_configuration(Bucket=name)
        notifications: dict[str, Any] = {}
        for source, target, key in (
            ("QueueConfigurations", "QueueConfigurations", ("QueueArn", "Queue")),
            ("TopicConfigurations", "TopicConfigurations", ("TopicArn", "Topic")),
            (
                "LambdaFunctionConfigurations",
                "LambdaConfigurations",
                ("LambdaFunctionArn", "Function"),
            ),
        ):
            entries = []
            for entry in config.get(source) or []:
                for event in entry["Events"]:
                    item: dict[str, Any] = {"Event": event, key[1]: x.reference(entry[key[0]])}
                    rules = ((entry.get("Filter") or {}).get("Key") or {}).get("FilterRules")
                    if rules:
                        item["Filter"] = {"S3Key": {"Rules": rules}}
                    entries.append(item)
            if entries:
                notifications[target] = entries
        if "EventBridgeConfiguration" in config:
            notifications["EventBridgeConfiguration"] = {"EventBridgeEnabled": True}
        if notifications:
            props["NotificationConfiguration"] = notifications
        logical_id = x.add(logical_name(name, "Bucket"), "AWS::S3::Bucket", props)
        x.known(name, logical_id)
        x.known(f"arn:aws:s3:::{name}", logical_id, "Arn")


async def _rest_apis(x: Exporter) -> None:
    if x.service("apigateway") is None:
        return
    apigw = x.engine.client("apigateway")
    for api in (await apigw.get_rest_apis()).get("items", []):
        api_id = api["id"]
        if not x.wanted(api_id):
            continue
        props: dict[str, Any] = {"Name": api["name"]}
        if api.get("description"):
            props["Description"] = api["description"]
        api_logical = x.add(logical_name(api["name"], "RestApi"), "AWS::ApiGateway::RestApi", props)
        resources = sorted(
            (await apigw.get_resources(restApiId=api_id))["items"], key=lambda r: r["path"]
        )
        logical_of: dict[str, Any] = {}
        methods: list[str] = []
        for resource in resources:
            if resource["path"] == "/":
                logical_of[resource["id"]] = {"Fn::GetAtt": [api_logical, "RootResourceId"]}
            else:
                logical_id = x.add(
                    f"{api_logical}{logical_name(resource['path'], 'Resource')}",
                    "AWS::ApiGateway::Resource",
                    {
                        "RestApiId": {"Ref": api_logical},
                        "ParentId": logical_of[resource["parentId"]],
                        "PathPart": resource["pathPart"],
                    },
                )
                logical_of[resource["id"]] = {"Ref": logical_id}
            for http_method in resource.get("resourceMethods") or {}:
                method = await apigw.get_method(
                    restApiId=api_id, resourceId=resource["id"], httpMethod=http_method
                )
                spec: dict[str, Any] = {
                    "RestApiId": {"Ref": api_logical},
                    "ResourceId": logical_of[resource["id"]],
                    "HttpMethod": http_method,
                    "AuthorizationType": method.get("authorizationType", "NONE"),
                }
                if method.get("apiKeyRequired"):
                    spec["ApiKeyRequired"] = True
                integration = method.get("methodIntegration")
                if integration:
                    entry: dict[str, Any] = {"Type": integration["type"]}
                    for source, target in (
                        ("httpMethod", "IntegrationHttpMethod"),
                        ("uri", "Uri"),
                        ("requestTemplates", "RequestTemplates"),
                        ("passthroughBehavior", "PassthroughBehavior"),
                    ):
                        if integration.get(source):
                            entry[target] = integration[source]
                    uri = entry.get("Uri", "")
                    for physical, (logical_id, attribute) in x.index.items():
                        if physical.startswith("arn:") and physical in uri:
                            entry["Uri"] = {
                                "Fn::Sub": uri.replace(
                                    physical,
                                    "${"
                                    + logical_id
                                    + (f".{attribute}" if attribute != "Ref" else "")
                                    + "}",
                                )
                            }
                            if x.resources[logical_id]["Type"].endswith("Function"):
                                x.add(
                                    f"{api_logical}Permission",
                                    "AWS::Lambda::Permission",
                                    {
                                        "FunctionName": x.reference(physical),
                                        "Action": "lambda:InvokeFunction",
                                        "Principal": "apigateway.amazonaws.com",
                                    },
                                )
                            break
                    responses = []
                    for status, response in (integration.get("integrationResponses") or {}).items():
                        item: dict[str, Any] = {"StatusCode": status}
                        if response.get("selectionPattern"):
                            item["SelectionPattern"] = response["selectionPattern"]
                        if response.get("responseTemplates"):
                            item["ResponseTemplates"] = response["responseTemplates"]
                        responses.append(item)
                    if responses:
                        entry["IntegrationResponses"] = responses
                    spec["Integration"] = entry
                if method.get("methodResponses"):
                    spec["MethodResponses"] = [
                        {"StatusCode": code} for code in method["methodResponses"]
                    ]
                methods.append(
                    x.add(
                        f"{api_logical}{logical_name(resource['path'], '')}{http_method.title()}",
                        "AWS::ApiGateway::Method",
                        spec,
                    )
                )
        for stage in (await apigw.get_stages(restApiId=api_id)).get("item", []):
            deployment = x.add(
                f"{api_logical}Deployment",
                "AWS::ApiGateway::Deployment",
                {"RestApiId": {"Ref": api_logical}},
            )
            x.resources[deployment]["DependsOn"] = list(methods)
            stage_logical = x.add(
                f"{api_logical}{logical_name(stage['stageName'], 'Stage')}",
                "AWS::ApiGateway::Stage",
                {
                    "RestApiId": {"Ref": api_logical},
                    "StageName": stage["stageName"],
                    "DeploymentId": {"Ref": deployment},
                },
            )
            # Usage plans name their stages by API id and stage name (export_operations).
            x.known(f"{api_id}/{stage['stageName']}", stage_logical)
        x.known(api_id, api_logical)


async def _http_apis(x: Exporter) -> None:
    if x.service("apigatewayv2") is None:
        return
    v2 = x.engine.client("apigatewayv2")
    for api in (await v2.get_apis()).get("Items", []):
        api_id = api["ApiId"]
        if not x.wanted(api_id):
            continue
        props: dict[str, Any] = {"Name": api["Name"], "ProtocolType": api["ProtocolType"]}
        if api.get("RouteSelectionExpression") and api["ProtocolType"] == "WEBSOCKET":
            props["RouteSelectionExpression"] = api["RouteSelectionExpression"]
        api_logical = x.add(logical_name(api["Name"], "Api"), "AWS::ApiGatewayV2::Api", props)
        integrations: dict[str, str] = {}
        for integration in (await v2.get_integrations(ApiId=api_id)).get("Items", []):
            spec: dict[str, Any] = {
                "ApiId": {"Ref": api_logical},
                "IntegrationType": integration["IntegrationType"],
            }
            for key in (
                "IntegrationUri",
                "IntegrationMethod",
                "PayloadFormatVersion",
                "IntegrationSubtype",
                "RequestParameters",
                "TimeoutInMillis",
            ):
                if integration.get(key) is not None:
                    spec[key] = x.reference(integration[key])
            integrations[integration["IntegrationId"]] = x.add(
                f"{api_logical}Integration", "AWS::ApiGatewayV2::Integration", spec
            )
            uri = integration.get("IntegrationUri", "")
            if uri in x.index and x.resources[x.index[uri][0]]["Type"].endswith("Function"):
                x.add(
                    f"{api_logical}Permission",
                    "AWS::Lambda::Permission",
                    {
                        "FunctionName": x.reference(uri),
                        "Action": "lambda:InvokeFunction",
                        "Principal": "apigateway.amazonaws.com",
                    },
                )
        for route in (await v2.get_routes(ApiId=api_id)).get("Items", []):
            spec = {"ApiId": {"Ref": api_logical}, "RouteKey": route["RouteKey"]}
            target = route.get("Target", "")
            if target.startswith("integrations/") and target.split("/", 1)[1] in integrations:
                spec["Target"] = {
                    "Fn::Sub": "integrations/${" + integrations[target.split("/", 1)[1]] + "}"
                }
            x.add(f"{api_logical}Route", "AWS::ApiGatewayV2::Route", spec)
        for stage in (await v2.get_stages(ApiId=api_id)).get("Items", []):
            spec = {
                "ApiId": {"Ref": api_logical},
                "StageName": stage["StageName"],
                "AutoDeploy": bool(stage.get("AutoDeploy")),
            }
            x.add(f"{api_logical}Stage", "AWS::ApiGatewayV2::Stage", spec)


async def _pipes(x: Exporter) -> None:
    if x.service("pipes") is None:
        return
    pipes = x.engine.client("pipes")
    for summary in (await pipes.list_pipes()).get("Pipes", []):
        if not x.wanted(summary["Name"], summary["Arn"]):
            continue
        pipe = await pipes.describe_pipe(Name=summary["Name"])
        props: dict[str, Any] = {
            "Name": pipe["Name"],
            "Source": x.reference(pipe["Source"]),
            "Target": x.reference(pipe["Target"]),
            "RoleArn": x.reference(pipe["RoleArn"]),
        }
        for key in ("SourceParameters", "TargetParameters", "EnrichmentParameters", "Description"):
            if pipe.get(key):
                props[key] = x.reference(pipe[key])
        if pipe.get("Enrichment"):
            props["Enrichment"] = x.reference(pipe["Enrichment"])
        if pipe.get("DesiredState") and pipe["DesiredState"] != "RUNNING":
            props["DesiredState"] = pipe["DesiredState"]
        x.add(logical_name(pipe["Name"], "Pipe"), "AWS::Pipes::Pipe", props)
