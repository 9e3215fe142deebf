"""Deleting a resource frees it: no service object, timer or task outlives a create → traffic → delete round.

Each case runs its round twice. The first warms caches the service keeps for good (compiled models,
lazily started helpers); after the second, nothing may have grown: the census of the service's
objects, the clock's pending timers, its heap (cancelled timers hold nothing and get compacted)
and the engine's background tasks are what they were after the first.
"""

from __future__ import annotations

import collections
import gc
import io
import json
import zipfile
from collections.abc import Awaitable, Callable

import pytest

from engine import Engine, VirtualClock
from engine.clock import Timer

pytestmark = pytest.mark.timeout(60)

Round = Callable[[Engine, VirtualClock], Awaitable[None]]
ROLE = "arn:aws:iam::123456789012:role/lab"


def _census() -> collections.Counter[str]:
    counts: collections.Counter[str] = collections.Counter()
    for obj in gc.get_objects():
        module = type(obj).__module__
        if not isinstance(module, str):
            continue
        # Cancelled timers waiting in the heap hold nothing (and are compacted): not counted.
        if module.startswith("engine") and type(obj) is not Timer:
            counts[f"{module}.{type(obj).__qualname__}"] += 1
    return counts


async def _snapshot(eng: Engine, clock: VirtualClock) -> tuple[collections.Counter[str], int, int]:
    await clock.settle()
    gc.unfreeze()  # the engine's heap keeper freezes long-lived objects: count (and free) them too
    gc.collect()
    return _census(), clock.pending_timers(), len(eng._tasks)


async def _assert_round_frees_everything(
    eng: Engine, clock: VirtualClock, one_round: Round
) -> None:
    # A long-lived neighbour keeps an early timer at the head of the heap, so a deleted
    # resource's cancelled timers cannot simply fall off the front.
    sqs = eng.client("sqs")
    keeper = (await sqs.create_queue(QueueName="keeper"))["QueueUrl"]
    await sqs.send_message(QueueUrl=keeper, MessageBody="held")
    await sqs.receive_message(QueueUrl=keeper, VisibilityTimeout=43_200)
    await one_round(eng, clock)
    await clock.advance(61)  # AWS refuses a queue name for 60 s after its deletion
    before, timers_before, tasks_before = await _snapshot(eng, clock)
    await one_round(eng, clock)
    await clock.advance(61)
    after, timers_after, tasks_after = await _snapshot(eng, clock)
    grown = {name: after[name] - before[name] for name in after if after[name] > before[name]}
    assert grown == {}, f"objects still alive after delete: {grown}"
    assert timers_after == timers_before
    assert tasks_after == tasks_before


def _zipped(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", source)
    return buffer.getvalue()


async def _queue_arn(eng: Engine, url: str) -> str:
    attributes = await eng.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["QueueArn"]
    )
    return attributes["Attributes"]["QueueArn"]


async def sqs_round(eng: Engine, clock: VirtualClock) -> None:
    sqs = eng.client("sqs")
    dlq = (await sqs.create_queue(QueueName="dead"))["QueueUrl"]
    redrive = json.dumps({"deadLetterTargetArn": await _queue_arn(eng, dlq), "maxReceiveCount": 1})
    url = (await sqs.create_queue(QueueName="work", Attributes={"RedrivePolicy": redrive}))[
        "QueueUrl"
    ]
    fifo = (
        await sqs.create_queue(
            QueueName="work.fifo",
            Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
        )
    )["QueueUrl"]
    for number in range(50):
        await sqs.send_message(QueueUrl=url, MessageBody=f"m{number}", DelaySeconds=number % 3)
        await sqs.send_message(QueueUrl=fifo, MessageBody=f"m{number}", MessageGroupId="g")
    await clock.advance(5)
    await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60)
    await sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10)
    for queue in (url, fifo, dlq):
        await sqs.delete_queue(QueueUrl=queue)


async def sns_round(eng: Engine, clock: VirtualClock) -> None:
    sns, sqs = eng.client("sns"), eng.client("sqs")
    url = (await sqs.create_queue(QueueName="inbox"))["QueueUrl"]
    topic = (await sns.create_topic(Name="news"))["TopicArn"]
    subscription = await sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=await _queue_arn(eng, url),
        Attributes={"FilterPolicy": json.dumps({"kind": ["a"]})},
    )
    for number in range(30):
        await sns.publish(
            TopicArn=topic,
            Message=f"n{number}",
            MessageAttributes={"kind": {"DataType": "String", "StringValue": "ab"[number % 2]}},
        )
    await clock.advance(1)
    await sns.unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])
    await sns.delete_topic(TopicArn=topic)
    await sqs.delete_queue(QueueUrl=url)


async def events_round(eng: Engine, clock: VirtualClock) -> None:
    events, sqs = eng.client("events"), eng.client("sqs")
    url = (await sqs.create_queue(QueueName="routed"))["QueueUrl"]
    await events.create_event_bus(Name="orders")
    await events.put_rule(
        Name="paid", EventBusName="orders", EventPattern=json.dumps({"source": ["shop"]})
    )
    await events.put_rule(Name="tick", ScheduleExpression="rate(1 minute)")
    await events.put_targets(
        Rule="paid", EventBusName="orders", Targets=[{"Id": "q", "Arn": await _queue_arn(eng, url)}]
    )
    for _ in range(30):
        await events.put_events(
            Entries=[
                {"Source": "shop", "DetailType": "paid", "Detail": "{}", "EventBusName": "orders"}
            ]
        )
    await clock.advance(120)
    await events.remove_targets(Rule="paid", EventBusName="orders", Ids=["q"])
    await events.delete_rule(Name="paid", EventBusName="orders")
    await events.delete_rule(Name="tick")
    await events.delete_event_bus(Name="orders")
    await sqs.delete_queue(QueueUrl=url)


async def kinesis_round(eng: Engine, clock: VirtualClock) -> None:
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="clicks", ShardCount=2)
    await clock.advance(1)
    for number in range(100):
        await kinesis.put_record(StreamName="clicks", Data=b"x" * 50, PartitionKey=str(number))
    shard = (await kinesis.list_shards(StreamName="clicks"))["Shards"][0]["ShardId"]
    iterator = (
        await kinesis.get_shard_iterator(
            StreamName="clicks", ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )
    )["ShardIterator"]
    await kinesis.get_records(ShardIterator=iterator)
    await kinesis.delete_stream(StreamName="clicks")
    await clock.advance(1)


async def firehose_round(eng: Engine, clock: VirtualClock) -> None:
    firehose, s3 = eng.client("firehose"), eng.client("s3")
    await s3.create_bucket(Bucket="firehose-sink")
    await firehose.create_delivery_stream(
        DeliveryStreamName="to-s3",
        ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE,
            "BucketARN": "arn:aws:s3:::firehose-sink",
            "BufferingHints": {"IntervalInSeconds": 60, "SizeInMBs": 1},
        },
    )
    await clock.advance(1)
    for number in range(30):
        await firehose.put_record(
            DeliveryStreamName="to-s3", Record={"Data": f"{number}\n".encode()}
        )
    await clock.advance(61)
    await firehose.put_record(DeliveryStreamName="to-s3", Record={"Data": b"buffered\n"})
    await firehose.delete_delivery_stream(DeliveryStreamName="to-s3")
    await clock.advance(1)
    for item in (await s3.list_objects_v2(Bucket="firehose-sink")).get("Contents", []):
        await s3.delete_object(Bucket="firehose-sink", Key=item["Key"])
    await s3.delete_bucket(Bucket="firehose-sink")


async def lambda_round(eng: Engine, clock: VirtualClock) -> None:
    lam, sqs = eng.client("lambda"), eng.client("sqs")
    await lam.create_function(
        FunctionName="echo",
        Runtime="python3.12",
        Role=ROLE,
        Handler="index.handler",
        Code={"ZipFile": _zipped("def handler(event, context):\n    return event\n")},
    )
    await clock.advance(1)
    url = (await sqs.create_queue(QueueName="jobs"))["QueueUrl"]
    mapping = await lam.create_event_source_mapping(
        FunctionName="echo", EventSourceArn=await _queue_arn(eng, url), BatchSize=5
    )
    for number in range(20):
        await lam.invoke(FunctionName="echo", Payload=json.dumps({"n": number}).encode())
        await sqs.send_message(QueueUrl=url, MessageBody=str(number))
    await lam.invoke(FunctionName="echo", InvocationType="Event", Payload=b"{}")
    await clock.advance(10)
    await lam.delete_event_source_mapping(UUID=mapping["UUID"])
    await clock.advance(1)
    await lam.delete_function(FunctionName="echo")
    await sqs.delete_queue(QueueUrl=url)
    await clock.advance(1)


async def stepfunctions_round(eng: Engine, clock: VirtualClock) -> None:
    sfn = eng.client("stepfunctions")
    definition = {
        "StartAt": "Wait",
        "States": {
            "Wait": {"Type": "Wait", "Seconds": 3600, "Next": "Done"},
            "Done": {"Type": "Succeed"},
        },
    }
    machine = (
        await sfn.create_state_machine(name="flow", roleArn=ROLE, definition=json.dumps(definition))
    )["stateMachineArn"]
    running = [
        (await sfn.start_execution(stateMachineArn=machine, name=f"run-{number}"))["executionArn"]
        for number in range(10)
    ]
    await clock.advance(1)
    for execution in running:
        await sfn.stop_execution(executionArn=execution)
    await sfn.delete_state_machine(stateMachineArn=machine)
    await clock.advance(1)


async def dynamodb_round(eng: Engine, clock: VirtualClock) -> None:
    dynamodb = eng.client("dynamodb")
    await dynamodb.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    await dynamodb.update_time_to_live(
        TableName="orders", TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"}
    )
    for number in range(50):
        await dynamodb.put_item(
            TableName="orders",
            Item={"id": {"S": str(number)}, "ttl": {"N": str(int(clock.now()) + 10_000)}},
        )
    await dynamodb.delete_table(TableName="orders")
    await clock.advance(86_402)  # a deleted table's stream stays readable for 24 hours, then goes


async def s3_round(eng: Engine, clock: VirtualClock) -> None:
    s3 = eng.client("s3")
    await s3.create_bucket(Bucket="photos")
    for number in range(30):
        await s3.put_object(Bucket="photos", Key=f"k{number}", Body=b"x" * 200)
    for number in range(30):
        await s3.delete_object(Bucket="photos", Key=f"k{number}")
    await s3.delete_bucket(Bucket="photos")


async def apigateway_round(eng: Engine, clock: VirtualClock) -> None:
    apigw = eng.client("apigatewayv2")
    eng.register_function("hello", lambda event, context: {"statusCode": 200, "body": "hi"})
    api = await apigw.create_api(
        Name="front",
        ProtocolType="HTTP",
        Target="arn:aws:lambda:us-east-1:123456789012:function:hello",
    )
    await apigw.delete_api(ApiId=api["ApiId"])
    rest = eng.client("apigateway")
    rest_api = await rest.create_rest_api(name="legacy")
    await rest.delete_rest_api(restApiId=rest_api["id"])
    await eng.client("lambda").delete_function(FunctionName="hello")


async def scheduler_round(eng: Engine, clock: VirtualClock) -> None:
    scheduler, sqs = eng.client("scheduler"), eng.client("sqs")
    url = (await sqs.create_queue(QueueName="ticks"))["QueueUrl"]
    await scheduler.create_schedule(
        Name="every-minute",
        ScheduleExpression="rate(1 minute)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": await _queue_arn(eng, url), "RoleArn": ROLE, "Input": "{}"},
    )
    await clock.advance(150)
    await scheduler.delete_schedule(Name="every-minute")
    await sqs.delete_queue(QueueUrl=url)
    await clock.advance(1)


async def pipes_round(eng: Engine, clock: VirtualClock) -> None:
    pipes, sqs = eng.client("pipes"), eng.client("sqs")
    source = (await sqs.create_queue(QueueName="pipe-in"))["QueueUrl"]
    target = (await sqs.create_queue(QueueName="pipe-out"))["QueueUrl"]
    await pipes.create_pipe(
        Name="relay",
        RoleArn=ROLE,
        Source=await _queue_arn(eng, source),
        Target=await _queue_arn(eng, target),
    )
    await clock.advance(1)
    for number in range(10):
        await sqs.send_message(QueueUrl=source, MessageBody=str(number))
    await clock.advance(5)
    await pipes.delete_pipe(Name="relay")
    await clock.advance(1)
    await sqs.delete_queue(QueueUrl=source)
    await sqs.delete_queue(QueueUrl=target)


async def kafka_round(eng: Engine, clock: VirtualClock) -> None:
    kafka = eng.client("kafka")
    arn = (
        await kafka.create_cluster(
            ClusterName="events",
            KafkaVersion="3.6.0",
            NumberOfBrokerNodes=3,
            BrokerNodeGroupInfo={
                "InstanceType": "kafka.m5.large",
                "ClientSubnets": ["subnet-a", "subnet-b", "subnet-c"],
            },
        )
    )["ClusterArn"]
    await clock.advance(10)
    await kafka.create_topic(
        ClusterArn=arn, TopicName="clicks", PartitionCount=3, ReplicationFactor=3
    )
    service = eng.service("kafka")
    cluster = service.resolve(arn)
    service.produce(cluster, "clicks", [(str(n).encode(), b"x" * 50, []) for n in range(100)])
    await kafka.delete_cluster(ClusterArn=arn)
    await clock.advance(10)


async def _running_broker(
    eng: Engine, clock: VirtualClock, name: str, engine_type: str, instance_type: str
) -> str:
    """An Amazon MQ broker, created and given the time to reach RUNNING; its id."""
    created = await eng.client("mq").create_broker(
        BrokerName=name,
        EngineType=engine_type,
        HostInstanceType=instance_type,
        DeploymentMode="SINGLE_INSTANCE",
        PubliclyAccessible=False,
        Users=[{"Username": "admin", "Password": "lab-password-1"}],
    )
    await clock.advance(5)
    return created["BrokerId"]


async def mq_round(eng: Engine, clock: VirtualClock) -> None:
    broker_id = await _running_broker(eng, clock, "shop", "RABBITMQ", "mq.m5.large")
    broker = eng.service("mq").rabbit(broker_id)
    broker.vhost("/").declare_queue("orders", arguments={"x-message-ttl": 60_000})
    for number in range(50):
        broker.publish("", "orders", f"m{number}".encode())
    await eng.client("mq").delete_broker(BrokerId=broker_id)
    await clock.advance(5)


async def iam_round(eng: Engine, clock: VirtualClock) -> None:
    iam, sts = eng.client("iam"), eng.client("sts")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
    role = (await iam.create_role(RoleName="worker", AssumeRolePolicyDocument=json.dumps(trust)))[
        "Role"
    ]
    await iam.put_role_policy(
        RoleName="worker",
        PolicyName="queues",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}],
            }
        ),
    )
    await iam.create_user(UserName="ana")
    key = (await iam.create_access_key(UserName="ana"))["AccessKey"]["AccessKeyId"]
    await sts.assume_role(RoleArn=role["Arn"], RoleSessionName="soak", DurationSeconds=900)
    await iam.delete_access_key(UserName="ana", AccessKeyId=key)
    await iam.delete_user(UserName="ana")
    await iam.delete_role_policy(RoleName="worker", PolicyName="queues")
    await iam.delete_role(RoleName="worker")
    await clock.advance(901 + 3600)  # the session expires, and is forgotten an hour later


async def activemq_round(eng: Engine, clock: VirtualClock) -> None:
    broker_id = await _running_broker(eng, clock, "legacy", "ACTIVEMQ", "mq.t3.micro")
    broker = eng.service("mq").activemq(broker_id)
    for number in range(30):
        broker.send("orders", f"m{number}".encode(), properties={"n": number}, ttl_ms=60_000)
        broker.send("topic://prices", b"p")
    await eng.client("mq").delete_broker(BrokerId=broker_id)
    await clock.advance(5)


async def activemq_configured_round(eng: Engine, clock: VirtualClock) -> None:
    """A broker with an activemq.xml configuration, messages waiting out redelivery delays."""
    import base64

    mq = eng.client("mq")
    config = await mq.create_configuration(Name="slow-redelivery", EngineType="ACTIVEMQ")
    xml = (
        '<broker xmlns="http://activemq.apache.org/schema/core"><plugins><redeliveryPlugin>'
        "<redeliveryPolicyMap><redeliveryPolicyMap><defaultEntry>"
        '<redeliveryPolicy maximumRedeliveries="3" initialRedeliveryDelay="600000"/>'
        "</defaultEntry></redeliveryPolicyMap></redeliveryPolicyMap>"
        "</redeliveryPlugin></plugins></broker>"
    )
    await mq.update_configuration(
        ConfigurationId=config["Id"], Data=base64.b64encode(xml.encode()).decode()
    )
    created = await mq.create_broker(
        BrokerName="configured",
        EngineType="ACTIVEMQ",
        HostInstanceType="mq.t3.micro",
        DeploymentMode="SINGLE_INSTANCE",
        PubliclyAccessible=False,
        Configuration={"Id": config["Id"], "Revision": 2},
        Users=[{"Username": "admin", "Password": "lab-password-1"}],
    )
    await clock.advance(5)
    broker = eng.service("mq").activemq(created["BrokerId"])
    sub = broker.lab.subscribe("jobs", ack_mode="client")
    for number in range(20):
        broker.send("jobs", f"j{number}".encode())
    broker.lab.nack(sub.id)  # twenty ten-minute redelivery timers
    await mq.delete_broker(BrokerId=created["BrokerId"])
    await clock.advance(5)
    await mq.delete_configuration(ConfigurationId=config["Id"])


async def observability_round(eng: Engine, clock: VirtualClock) -> None:
    logs, cloudwatch = eng.client("logs"), eng.client("cloudwatch")
    await logs.create_log_group(logGroupName="/lab/app")
    await logs.put_retention_policy(logGroupName="/lab/app", retentionInDays=1)
    await logs.create_log_stream(logGroupName="/lab/app", logStreamName="s")
    await logs.put_log_events(
        logGroupName="/lab/app",
        logStreamName="s",
        logEvents=[
            {"timestamp": int(clock.now() * 1000), "message": f"line {n}"} for n in range(50)
        ],
    )
    await cloudwatch.put_metric_data(
        Namespace="Lab", MetricData=[{"MetricName": "Orders", "Value": 1.0} for _ in range(20)]
    )
    await cloudwatch.put_metric_alarm(
        AlarmName="orders-high",
        Namespace="Lab",
        MetricName="Orders",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=5,
        ComparisonOperator="GreaterThanThreshold",
    )
    await clock.advance(120)
    await cloudwatch.delete_alarms(AlarmNames=["orders-high"])
    await logs.delete_log_group(logGroupName="/lab/app")


async def secretsmanager_round(eng: Engine, clock: VirtualClock) -> None:
    secrets = eng.client("secretsmanager")
    arn = (await secrets.create_secret(Name="db/password", SecretString="one"))["ARN"]
    await secrets.put_secret_value(SecretId=arn, SecretString="two")
    await secrets.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    await clock.advance(1)


async def cloudformation_round(eng: Engine, clock: VirtualClock) -> None:
    eng.settings["cloudformation.lint"] = "off"
    cloudformation = eng.client("cloudformation")
    template = {
        "Resources": {
            "Dlq": {"Type": "AWS::SQS::Queue"},
            "Topic": {"Type": "AWS::SNS::Topic"},
            "Table": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                    "BillingMode": "PAY_PER_REQUEST",
                },
            },
        }
    }
    await cloudformation.create_stack(StackName="shop", TemplateBody=json.dumps(template))
    await eng.service("cloudformation").wait("shop")
    await cloudformation.delete_stack(StackName="shop")
    await eng.service("cloudformation").wait("shop")
    await clock.advance(1)


async def appflow_round(eng: Engine, clock: VirtualClock) -> None:
    appflow = eng.client("appflow")
    s3 = eng.client("s3")
    await s3.create_bucket(Bucket="flow-lake")
    await appflow.create_connector_profile(
        connectorProfileName="crm",
        connectorType="Salesforce",
        connectionMode="Public",
        connectorProfileConfig={
            "connectorProfileProperties": {"Salesforce": {}},
            "connectorProfileCredentials": {"Salesforce": {"accessToken": "token"}},
        },
    )
    for name, trigger, obj in (
        (
            "hourly",
            {
                "triggerType": "Scheduled",
                "triggerProperties": {
                    "Scheduled": {
                        "scheduleExpression": "rate(1hours)",
                        "dataPullMode": "Incremental",
                    }
                },
            },
            "Opportunity",
        ),
        ("changes", {"triggerType": "Event"}, "OpportunityChangeEvent"),
    ):
        await appflow.create_flow(
            flowName=name,
            triggerConfig=trigger,
            sourceFlowConfig={
                "connectorType": "Salesforce",
                "connectorProfileName": "crm",
                "sourceConnectorProperties": {"Salesforce": {"object": obj}},
            },
            destinationFlowConfigList=[
                {
                    "connectorType": "S3",
                    "destinationConnectorProperties": {"S3": {"bucketName": "flow-lake"}},
                }
            ],
            tasks=[{"sourceFields": [], "taskType": "Map_all"}],
        )
        await appflow.start_flow(flowName=name)
    sf = eng.service("appflow").saas.app("salesforce")
    sf.update("Opportunity", next(iter(sf.table("Opportunity").records)), {"Amount": 5})
    await clock.advance(3600)
    await appflow.delete_flow(flowName="hourly")
    await appflow.delete_flow(flowName="changes")
    await appflow.delete_connector_profile(connectorProfileName="crm")
    connector = eng.register_function(
        "flow-connector",
        lambda event, context: {
            "isSuccess": True,
            "connectorOwner": "lab",
            "connectorName": "lab",
            "connectorVersion": "1",
            "connectorModes": ["SOURCE"],
            "supportedApiVersions": ["v1"],
        },
    )
    await appflow.register_connector(
        connectorLabel="lab",
        connectorProvisioningType="LAMBDA",
        connectorProvisioningConfig={"lambda": {"lambdaArn": connector}},
    )
    await appflow.unregister_connector(connectorLabel="lab")
    await eng.client("lambda").delete_function(FunctionName="flow-connector")
    listed = await s3.list_objects_v2(Bucket="flow-lake")
    for item in listed.get("Contents", []):
        await s3.delete_object(Bucket="flow-lake", Key=item["Key"])
    await s3.delete_bucket(Bucket="flow-lake")
    await clock.advance(1)


async def kinesisvideo_round(eng: Engine, clock: VirtualClock) -> None:
    from tests.engine.kvs_media import tiny_mkv

    kv = eng.client("kinesisvideo")
    arn = (await kv.create_stream(StreamName="door", DataRetentionInHours=1))["StreamARN"]
    await eng.client("s3").create_bucket(Bucket="frames")
    await kv.update_image_generation_configuration(
        StreamName="door",
        ImageGenerationConfiguration={
            "Status": "ENABLED",
            "ImageSelectorType": "SERVER_TIMESTAMP",
            "DestinationConfig": {"Uri": "s3://frames/door", "DestinationRegion": "us-east-1"},
            "SamplingInterval": 1000,
            "Format": "JPEG",
        },
    )
    channel = (await kv.create_signaling_channel(ChannelName="bell"))["ChannelARN"]
    service = eng.service("kinesisvideo")
    await service.ingest.put_bytes(service.streams["door"], tiny_mkv(3))
    media = eng.client("kinesis-video-media")
    await media.get_media(StreamName="door", StartSelector={"StartSelectorType": "EARLIEST"})
    archived = eng.client("kinesis-video-archived-media")
    await archived.list_fragments(StreamName="door")
    await archived.get_hls_streaming_session_url(StreamName="door", PlaybackMode="LIVE")
    await clock.advance(2)
    await kv.delete_signaling_channel(ChannelARN=channel)
    await kv.delete_stream(StreamARN=arn)
    objects = (await eng.client("s3").list_objects_v2(Bucket="frames")).get("Contents", [])
    for item in objects:
        await eng.client("s3").delete_object(Bucket="frames", Key=item["Key"])
    await eng.client("s3").delete_bucket(Bucket="frames")


async def appsync_round(eng: Engine, clock: VirtualClock) -> None:
    import httpx

    appsync = eng.client("appsync")
    api = (await appsync.create_graphql_api(name="round", authenticationType="API_KEY"))[
        "graphqlApi"
    ]
    api_id = api["apiId"]
    schema = "type Query { echo(text: String): String }"
    await appsync.start_schema_creation(apiId=api_id, definition=schema.encode())
    await appsync.create_data_source(apiId=api_id, name="none", type="NONE")
    await appsync.create_resolver(
        apiId=api_id,
        typeName="Query",
        fieldName="echo",
        dataSourceName="none",
        requestMappingTemplate='{"version": "2018-05-29", "payload": $util.toJson($ctx.args.text)}',
        responseMappingTemplate="$util.toJson($ctx.result)",
    )
    await appsync.create_api_cache(
        apiId=api_id, ttl=60, apiCachingBehavior="PER_RESOLVER_CACHING", type="SMALL"
    )
    key = (await appsync.create_api_key(apiId=api_id))["apiKey"]["id"]
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            api["uris"]["GRAPHQL"],
            json={"query": '{ echo(text: "x") }'},
            headers={"x-api-key": key},
        )
    assert answer.json() == {"data": {"echo": "x"}}
    # A live real-time connection with a subscription: deleting the API must free both.
    import base64

    import websockets

    header = base64.b64encode(json.dumps({"host": "lab", "x-api-key": key}).encode()).decode()
    socket = await websockets.connect(
        f"{api['uris']['REALTIME']}?header={header}&payload=e30=", subprotocols=["graphql-ws"]
    )
    await socket.send(json.dumps({"type": "connection_init"}))
    await socket.recv()
    await socket.recv()
    await appsync.delete_graphql_api(apiId=api_id)
    await socket.close()
    modes = [{"authType": "API_KEY"}]
    config = {
        "authProviders": modes,
        "connectionAuthModes": modes,
        "defaultPublishAuthModes": modes,
        "defaultSubscribeAuthModes": modes,
    }
    event_api = (await appsync.create_api(name="round", eventConfig=config))["api"]
    await appsync.create_channel_namespace(apiId=event_api["apiId"], name="default")
    await appsync.delete_api(apiId=event_api["apiId"])


async def analytics_round(eng: Engine, clock: VirtualClock) -> None:
    kinesis = eng.client("kinesis")
    for name in ("taps", "tap-counts"):
        await kinesis.create_stream(StreamName=name, ShardCount=1)
    code = (
        "CREATE TABLE taps (k VARCHAR, p AS PROCTIME()) WITH ('connector'='kinesis', 'stream'='taps');"
        "CREATE TABLE out (k VARCHAR) WITH ('connector'='kinesis', 'stream'='tap-counts');"
        "INSERT INTO out SELECT k, COUNT(*) AS n FROM taps GROUP BY TUMBLE(p, INTERVAL '10' SECOND), k;"
    )
    kda = eng.client("kinesisanalyticsv2")
    created = await kda.create_application(
        ApplicationName="taps",
        RuntimeEnvironment="FLINK-1_20",
        ServiceExecutionRole="arn:aws:iam::123456789012:role/a",
        ApplicationConfiguration={
            "ApplicationCodeConfiguration": {
                "CodeContent": {"TextContent": code},
                "CodeContentType": "PLAINTEXT",
            }
        },
    )
    await kda.start_application(ApplicationName="taps")
    await clock.advance(6)
    for number in range(20):
        await kinesis.put_record(StreamName="taps", Data=b'{"k": "a"}', PartitionKey=str(number))
    await clock.advance(11)
    await kinesis.put_record(StreamName="taps", Data=b'{"k": "b"}', PartitionKey="x")
    await clock.advance(1)  # a window is left open: deleting the application must drop it
    await kda.delete_application(
        ApplicationName="taps", CreateTimestamp=created["ApplicationDetail"]["CreateTimestamp"]
    )
    for name in ("taps", "tap-counts"):
        await kinesis.delete_stream(StreamName=name)
    await clock.advance(1)


ROUNDS: dict[str, Round] = {
    "sqs": sqs_round,
    "sns": sns_round,
    "events": events_round,
    "kinesis": kinesis_round,
    "firehose": firehose_round,
    "lambda": lambda_round,
    "stepfunctions": stepfunctions_round,
    "dynamodb": dynamodb_round,
    "s3": s3_round,
    "apigateway": apigateway_round,
    "scheduler": scheduler_round,
    "pipes": pipes_round,
    "kafka": kafka_round,
    "mq": mq_round,
    "iam": iam_round,
    "activemq": activemq_round,
    "activemq with a configuration": activemq_configured_round,
    "logs and cloudwatch": observability_round,
    "secretsmanager": secretsmanager_round,
    "cloudformation": cloudformation_round,
    "appflow": appflow_round,
    "kinesisvideo": kinesisvideo_round,
    "appsync": appsync_round,
    "kinesisanalyticsv2": analytics_round,
}


async def _fill_lab_and_reset(eng: Engine, clock: VirtualClock) -> None:
    for one_round in ROUNDS.values():
        await one_round(eng, clock)
    # Leave live state behind on purpose: reset must drop it all, timers included.
    await eng.client("sqs").create_queue(QueueName="left-behind")
    dynamodb = eng.client("dynamodb")
    await dynamodb.create_table(
        TableName="left",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
    )
    await dynamodb.delete_table(TableName="left")
    await eng.client("events").put_rule(Name="tick", ScheduleExpression="rate(1 minute)")
    await eng.reset()


async def test_reset_frees_every_service(eng: Engine, clock: VirtualClock) -> None:
    await _fill_lab_and_reset(eng, clock)  # warms module-level tables and caches
    before, _, _ = await _snapshot(eng, clock)
    await _fill_lab_and_reset(eng, clock)
    after, timers, tasks = await _snapshot(eng, clock)
    grown = {name: after[name] - before[name] for name in after if after[name] > before[name]}
    assert grown == {}, f"objects still alive after reset: {grown}"
    assert timers == 0
    assert tasks == 0


@pytest.mark.parametrize("service", list(ROUNDS))
async def test_deleting_a_resource_frees_it(eng: Engine, clock: VirtualClock, service: str) -> None:
    await _assert_round_frees_everything(eng, clock, ROUNDS[service])


async def test_a_cancelled_timer_releases_its_callback_at_once(clock: VirtualClock) -> None:
    class Holder:
        """Stands in for a queue full of messages."""

    holder = Holder()
    timer = clock.call_later(4 * 86400, lambda kept: None, holder)
    clock.call_later(60, lambda: None)  # an earlier live timer keeps the cancelled one in the heap
    timer.cancel()
    holder_count = sum(1 for obj in gc.get_objects() if type(obj) is Holder)
    del holder
    gc.collect()
    assert holder_count == 1
    assert not any(type(obj) is Holder for obj in gc.get_objects())
    assert clock.pending_timers() == 1


async def test_the_heap_is_compacted_when_cancelled_timers_outnumber_live_ones(
    clock: VirtualClock,
) -> None:
    clock.call_later(1, lambda: None)
    timers = [clock.call_later(1000 + n, lambda: None) for n in range(1000)]
    for timer in timers:
        timer.cancel()
    assert clock.pending_timers() == 1
    assert len(clock._timers) < 300
    fired: list[int] = []
    clock.call_later(2, fired.append, 2)
    await clock.advance(3)
    assert fired == [2]


async def test_a_service_sees_whether_its_clock_is_virtual(eng: Engine) -> None:
    # Services hold a ServiceClock view: code must ask `clock.virtual`, never isinstance.
    assert eng.service("sqs").clock.virtual is True
    assert eng.clock.virtual is True
