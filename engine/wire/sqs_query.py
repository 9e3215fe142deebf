"""SQS's legacy query protocol: the member names the JSON model lost, put back as a small map.

SQS moved to the JSON protocol in 2023, and botocore's model no longer carries the names the
form-encoded API used (`Attribute.1.Name`, `MessageAttribute.1.Value.StringValue`,
`SendMessageBatchRequestEntry.1.Id` …) nor the XML element names of its answers. They are listed
here from AWS's SQS API reference ("Query API" request examples); every collection in that API is
flattened. Applying the map to the JSON model gives a query-protocol model that the generic query
decoder and XML encoder use unchanged. API Gateway's AWS integrations for SQS send this form.
"""

from __future__ import annotations

import copy
from functools import cache
from urllib.parse import urlsplit

from botocore.loaders import Loader
from botocore.model import ServiceModel

#: The XML namespace of SQS's query answers.
SQS_QUERY_NAMESPACE = "http://queue.amazonaws.com/doc/2012-11-05/"

#: Structure member → the name it had on the query wire (as `Name.N…` or as an XML element).
MEMBER_NAMES: dict[str, dict[str, str]] = {
    "AddPermissionRequest": {"AWSAccountIds": "AWSAccountId", "Actions": "ActionName"},
    "ChangeMessageVisibilityBatchRequest": {"Entries": "ChangeMessageVisibilityBatchRequestEntry"},
    "ChangeMessageVisibilityBatchResult": {
        "Successful": "ChangeMessageVisibilityBatchResultEntry",
        "Failed": "BatchResultErrorEntry",
    },
    "CreateQueueRequest": {"Attributes": "Attribute", "tags": "Tag"},
    "DeleteMessageBatchRequest": {"Entries": "DeleteMessageBatchRequestEntry"},
    "DeleteMessageBatchResult": {
        "Successful": "DeleteMessageBatchResultEntry",
        "Failed": "BatchResultErrorEntry",
    },
    "GetQueueAttributesRequest": {"AttributeNames": "AttributeName"},
    "GetQueueAttributesResult": {"Attributes": "Attribute"},
    "ListDeadLetterSourceQueuesResult": {"queueUrls": "QueueUrl"},
    "ListMessageMoveTasksResult": {"Results": "ListMessageMoveTasksResultEntry"},
    "ListQueueTagsResult": {"Tags": "Tag"},
    "ListQueuesResult": {"QueueUrls": "QueueUrl"},
    "ReceiveMessageRequest": {
        "AttributeNames": "AttributeName",
        "MessageSystemAttributeNames": "MessageSystemAttributeName",
        "MessageAttributeNames": "MessageAttributeName",
    },
    "ReceiveMessageResult": {"Messages": "Message"},
    "Message": {"Attributes": "Attribute", "MessageAttributes": "MessageAttribute"},
    "MessageAttributeValue": {
        "StringListValues": "StringListValue",
        "BinaryListValues": "BinaryListValue",
    },
    "MessageSystemAttributeValue": {
        "StringListValues": "StringListValue",
        "BinaryListValues": "BinaryListValue",
    },
    "SendMessageRequest": {
        "MessageAttributes": "MessageAttribute",
        "MessageSystemAttributes": "MessageSystemAttribute",
    },
    "SendMessageBatchRequest": {"Entries": "SendMessageBatchRequestEntry"},
    "SendMessageBatchRequestEntry": {
        "MessageAttributes": "MessageAttribute",
        "MessageSystemAttributes": "MessageSystemAttribute",
    },
    "SendMessageBatchResult": {
        "Successful": "SendMessageBatchResultEntry",
        "Failed": "BatchResultErrorEntry",
    },
    "SetQueueAttributesRequest": {"Attributes": "Attribute"},
    "TagQueueRequest": {"Tags": "Tag"},
    "UntagQueueRequest": {"TagKeys": "TagKey"},
}

#: Map shape → (key element name, value element name).
MAP_ENTRY_NAMES: dict[str, tuple[str, str]] = {
    "QueueAttributeMap": ("Name", "Value"),
    "MessageBodyAttributeMap": ("Name", "Value"),
    "MessageBodySystemAttributeMap": ("Name", "Value"),
    "MessageSystemAttributeMap": ("Name", "Value"),
    "TagMap": ("Key", "Value"),
}


@cache
def sqs_query_model() -> ServiceModel:
    """botocore's SQS model with the query protocol's names and flattened collections restored."""
    data = copy.deepcopy(Loader().load_service_model("sqs", "service-2"))
    data["metadata"] = {
        **data["metadata"],
        "protocol": "query",
        "protocols": ["query"],
        "xmlNamespace": SQS_QUERY_NAMESPACE,
    }
    shapes = data["shapes"]
    for structure, names in MEMBER_NAMES.items():
        members = shapes[structure]["members"]
        for member, wire_name in names.items():
            members[member]["locationName"] = wire_name
            shapes[members[member]["shape"]]["flattened"] = True
    for map_name, (key_name, value_name) in MAP_ENTRY_NAMES.items():
        shapes[map_name]["key"]["locationName"] = key_name
        shapes[map_name]["value"]["locationName"] = value_name
    for name, operation in data["operations"].items():
        # Query answers wrap each result in <{Operation}Result>.
        if "output" in operation:
            operation["output"]["resultWrapper"] = f"{name}Result"
    return ServiceModel(data, service_name="sqs")


def queue_url_from_path(scheme: str, host: str, path: str) -> str | None:
    """The queue URL a legacy request names by posting to it (`/{account}/{queue}`), if any."""
    parts = [part for part in urlsplit(path).path.split("/") if part]
    if len(parts) == 2 and parts[0].isdigit():
        return f"{scheme}://{host}/{parts[0]}/{parts[1]}"
    return None
