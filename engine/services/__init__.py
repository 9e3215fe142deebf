"""The emulated services, each in its own package, loaded on first use."""

from __future__ import annotations

#: boto3 service name → module that defines `SERVICE`, the Service subclass.
SERVICE_MODULES: dict[str, str] = {
    "sqs": "engine.services.sqs",
    "sns": "engine.services.sns",
    "events": "engine.services.events",
    "schemas": "engine.services.schemas",
    "scheduler": "engine.services.scheduler",
    "pipes": "engine.services.pipes",
    "kinesis": "engine.services.kinesis",
    "firehose": "engine.services.firehose",
    "stepfunctions": "engine.services.stepfunctions",
    "apigateway": "engine.services.apigateway",
    "apigatewayv2": "engine.services.apigatewayv2",
    "apigatewaymanagementapi": "engine.services.apigatewaymanagementapi",
    "lambda": "engine.services.awslambda",
    "s3": "engine.services.s3",
    "dynamodb": "engine.services.dynamodb",
    "dynamodbstreams": "engine.services.dynamodbstreams",
    "iam": "engine.services.iam",
    "sts": "engine.services.sts",
    "mq": "engine.services.mq",
    "kafka": "engine.services.kafka",
    "cloudformation": "engine.services.cloudformation",
    "logs": "engine.services.logs",
    "cloudwatch": "engine.services.cloudwatch",
    "secretsmanager": "engine.services.secretsmanager",
    "appflow": "engine.services.appflow",
    # Kinesis Video Streams: the control plane first (the wire picks it for the shared signing
    # name); the data plane is served at the endpoint GetDataEndpoint returns.
    "kinesisvideo": "engine.services.kinesisvideo",
    "kinesis-video-media": "engine.services.kinesisvideo.media_api",
    "kinesis-video-archived-media": "engine.services.kinesisvideo.archived_api",
    "kinesis-video-signaling": "engine.services.kinesisvideo.signaling_api",
    "appsync": "engine.services.appsync",
    "kinesisanalyticsv2": "engine.services.kinesisanalyticsv2",
}
