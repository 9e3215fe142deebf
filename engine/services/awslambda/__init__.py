"""AWS Lambda: Python handlers run in-process on the engine clock (see docs/services/lambda.md)."""

from .service import LambdaService as SERVICE

__all__ = ["SERVICE"]
