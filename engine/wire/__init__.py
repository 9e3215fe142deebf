"""AWS's wire protocols over HTTP, so boto3 and the AWS CLI can use the lab by endpoint_url."""

from .asgi import WireApp
from .endpoint import WireEndpoint
from .server import WireServer

__all__ = ["WireApp", "WireEndpoint", "WireServer"]
