"""Operation results serialized the way each protocol answers (JSON, query XML, REST)."""

from __future__ import annotations

import base64
import json
from typing import Any
from xml.etree import ElementTree

from botocore.model import OperationModel, ServiceModel

from engine.http import HttpResponse

from .codec import encode_json, encode_xml, read_blob, scalar_text
from .eventstream import event_stream_response

_S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"


def json_response(
    model: ServiceModel, operation: OperationModel, result: dict, request_id: str
) -> HttpResponse:
    """A `json`-protocol answer: the output shape as JSON, blobs base64, timestamps epoch."""
    shape = operation.output_shape
    if shape is not None and shape.event_stream_name:
        return event_stream_response(shape, result, request_id, initial_response=True)
    body = encode_json(shape, result) if shape is not None else {}
    version = model.metadata.get("jsonVersion", "1.0")
    return HttpResponse(
        200,
        {"content-type": f"application/x-amz-json-{version}", "x-amzn-requestid": request_id},
        json.dumps(body).encode(),
    )


def query_response(
    model: ServiceModel, operation: OperationModel, result: dict, request_id: str
) -> HttpResponse:
    """A `query`-protocol answer: `<{Op}Response><{Op}Result>…</{Op}Result><ResponseMetadata>`."""
    shape = operation.output_shape
    root = ElementTree.Element(
        f"{operation.name}Response", {"xmlns": model.metadata.get("xmlNamespace", "")}
    )
    if shape is not None:
        wrapper = shape.serialization.get("resultWrapper", f"{operation.name}Result")
        result_element = ElementTree.SubElement(root, wrapper)
        for name, member in shape.members.items():
            if name in result:
                encode_xml(
                    result_element, member, result[name], member.serialization.get("name", name)
                )
    metadata = ElementTree.SubElement(root, "ResponseMetadata")
    ElementTree.SubElement(metadata, "RequestId").text = request_id
    return HttpResponse(
        200,
        {"content-type": "text/xml", "x-amzn-requestid": request_id},
        ElementTree.tostring(root),
    )


def rest_response(
    protocol: str, operation: OperationModel, result: dict, request_id: str
) -> HttpResponse:
    """A `rest-json`/`rest-xml` answer: status code, header members, then the payload or body."""
    shape = operation.output_shape
    status = operation.http.get("responseCode", 200)
    headers = {"x-amzn-requestid": request_id, "x-amz-request-id": request_id}
    if shape is None:
        return HttpResponse(status, headers, b"")
    payload_name = shape.serialization.get("payload")
    for name, member in shape.members.items():
        value = result.get(name)
        if value is None:
            continue
        location = member.serialization.get("location")
        wire_name = member.serialization.get("name", name).lower()
        if location == "statusCode":
            status = int(value)
        elif location == "header":
            headers[wire_name] = _header_text(member, value)
        elif location == "headers":
            for key, item in value.items():
                headers[f"{wire_name}{key}"] = str(item)
    if payload_name:
        body = _payload(protocol, shape.members[payload_name], result.get(payload_name), headers)
    elif operation.name == "GetBucketLocation":
        body = _bucket_location(result.get("LocationConstraint"), headers)
    elif protocol == "rest-xml":
        body = _xml_body(shape, result, headers)
    else:
        body = json.dumps(encode_json(shape, result)).encode()
        headers["content-type"] = "application/json"
    return HttpResponse(status, headers, body)


def _header_text(member: Any, value: Any) -> str:
    if member.serialization.get("jsonvalue"):
        return base64.b64encode(json.dumps(value).encode()).decode()
    if member.type_name == "list":
        return ",".join(scalar_text(member.member, v) for v in value)
    return scalar_text(member, value, "rfc822")


def _payload(protocol: str, member: Any, value: Any, headers: dict[str, str]) -> bytes:
    if value is None:
        return b""
    if member.type_name in ("blob", "string"):
        headers.setdefault("content-type", "application/octet-stream")
        return read_blob(value)
    if protocol == "rest-xml":
        root = ElementTree.Element("root")
        encode_xml(root, member, value, member.serialization.get("name", member.name))
        headers["content-type"] = "application/xml"
        element = root[0]
        if "xmlns" not in element.attrib:
            element.set("xmlns", _S3_NAMESPACE)
        return ElementTree.tostring(element)
    headers["content-type"] = "application/json"
    return json.dumps(encode_json(member, value)).encode()


def _bucket_location(region: str | None, headers: dict[str, str]) -> bytes:
    """S3 answers GetBucketLocation with a bare <LocationConstraint> root (empty: us-east-1)."""
    element = ElementTree.Element("LocationConstraint", xmlns=_S3_NAMESPACE)
    element.text = region
    headers["content-type"] = "application/xml"
    return ElementTree.tostring(element)


def _xml_body(shape: Any, result: dict, headers: dict[str, str]) -> bytes:
    body_members = {
        k: v
        for k, v in result.items()
        if k in shape.members and not shape.members[k].serialization.get("location")
    }
    if not body_members:
        return b""
    root = ElementTree.Element("root")
    encode_xml(root, shape, body_members, shape.serialization.get("name", shape.name))
    element = root[0]
    if "xmlns" not in element.attrib:
        element.set("xmlns", _S3_NAMESPACE)
    headers["content-type"] = "application/xml"
    return ElementTree.tostring(element)
