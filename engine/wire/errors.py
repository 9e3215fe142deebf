"""Errors over the wire: each protocol's error document, modeled members encoded through their shape."""

from __future__ import annotations

import json
from functools import cache
from typing import Any
from xml.etree import ElementTree

from botocore.model import Shape

from engine.model import service_model

from .codec import encode_json, encode_xml, plain_json, scalar_text


class WireError(Exception):
    """A request the endpoint cannot map to an operation (bad target, action, body …)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@cache
def _error_shapes(service: str) -> dict[str, Shape]:
    """Error code → botocore error shape, by shape name and by the code the shape declares."""
    shapes: dict[str, Shape] = {}
    for shape in service_model(service).error_shapes:
        shapes[shape.name] = shape
        declared = shape.metadata.get("error", {}).get("code")
        if declared:
            shapes.setdefault(declared, shape)
    return shapes


def error_shape(service: str | None, code: str) -> Shape | None:
    """The modeled shape of error `code` in `service`, if botocore's model has one."""
    if service is None:
        return None
    return _error_shapes(service).get(code)


def _members(extra: dict[str, Any]) -> dict[str, Any]:
    """The members of the error document: SQS's QueryErrorCode and its Type go in a header."""
    hidden = ("QueryErrorCode", "Type") if "QueryErrorCode" in extra else ()
    return {k: v for k, v in extra.items() if k not in hidden and v is not None}


def _body_members(shape: Shape | None, extra: dict[str, Any]) -> dict[str, Any]:
    """The extra members as JSON data: through the error's shape when modeled, else as plain data."""
    members = _members(extra)
    if not members:
        return {}
    if shape is None:
        return plain_json(members)
    modeled = {k: v for k, v in members.items() if k in shape.members}
    unmodeled = {k: v for k, v in members.items() if k not in shape.members}
    return {**plain_json(unmodeled), **encode_json(shape, modeled)}


def json_error(
    service: str | None, code: str, message: str, extra: dict[str, Any], sender: bool
) -> tuple[dict[str, str], bytes]:
    """Headers and body of a `json`-protocol error (with SQS's x-amzn-query-error)."""
    headers: dict[str, str] = {}
    type_name = code
    query_code = extra.get("QueryErrorCode")
    if query_code:
        # SQS speaks JSON but keeps its query-era codes: botocore reads them from this header.
        fault = extra.get("Type") or ("Sender" if sender else "Receiver")
        headers["x-amzn-query-error"] = f"{code};{fault}"
        type_name = query_code
    shape = error_shape(service, type_name)
    body = {"__type": type_name, "message": message, **_body_members(shape, extra)}
    if not message:
        del body["message"]  # AWS leaves an empty message out (CloudWatch's ResourceNotFound)
    elif shape is not None and "Message" in shape.members:
        # Shapes that model `Message` (Secrets Manager, Logs …) carry it under that name only.
        del body["message"]
        body["Message"] = message
    return headers, json.dumps(body).encode()


def rest_json_error(
    service: str | None, code: str, message: str, extra: dict[str, Any]
) -> tuple[dict[str, str], bytes]:
    """Headers and body of a `rest-json` error: code in x-amzn-errortype, members per their location."""
    headers = {"x-amzn-errortype": code}
    shape = error_shape(service, code)
    members = _members(extra)
    if shape is not None:
        for name, member in shape.members.items():
            if member.serialization.get("location") == "header" and name in members:
                wire_name = member.serialization.get("name", name).lower()
                headers[wire_name] = scalar_text(member, members.pop(name), "rfc822")
    body = {"message": message, "Message": message, **_body_members(shape, members)}
    return headers, json.dumps(body).encode()


def query_error(
    namespace: str,
    service: str | None,
    code: str,
    message: str,
    extra: dict[str, Any],
    sender: bool,
    request_id: str,
) -> bytes:
    """The `query` protocol's ErrorResponse document (SNS, SQS's legacy form).

    SQS's legacy answers end each error with an empty `<Detail/>`, which boto3 shows as
    `"Detail": None`; SNS's do not.
    """
    root = ElementTree.Element("ErrorResponse", {"xmlns": namespace})
    error = ElementTree.SubElement(root, "Error")
    ElementTree.SubElement(error, "Type").text = "Sender" if sender else "Receiver"
    ElementTree.SubElement(error, "Code").text = code
    if message or service != "cloudwatch":
        ElementTree.SubElement(error, "Message").text = message
    if service == "sqs":
        ElementTree.SubElement(error, "Detail")
    _xml_members(error, error_shape(service, code), extra)
    ElementTree.SubElement(root, "RequestId").text = request_id
    return ElementTree.tostring(root)


def rest_xml_error(
    service: str | None, code: str, message: str, extra: dict[str, Any], request_id: str
) -> bytes:
    """The `rest-xml` protocol's Error document (S3)."""
    root = ElementTree.Element("Error")
    ElementTree.SubElement(root, "Code").text = code
    ElementTree.SubElement(root, "Message").text = message
    _xml_members(root, error_shape(service, code), extra)
    ElementTree.SubElement(root, "RequestId").text = request_id
    return ElementTree.tostring(root)


def _xml_members(parent: ElementTree.Element, shape: Shape | None, extra: dict[str, Any]) -> None:
    for key, value in _members(extra).items():
        member = shape.members.get(key) if shape is not None else None
        if member is not None and key not in ("Message", "message"):
            encode_xml(parent, member, value, member.serialization.get("name", key))
        elif key not in ("Message", "message"):
            ElementTree.SubElement(parent, key).text = _text(value)


def _text(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    if isinstance(value, (dict, list)):
        return json.dumps(plain_json(value))
    return str(value)
