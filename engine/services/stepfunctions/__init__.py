"""AWS Step Functions: an Amazon States Language interpreter on the engine clock."""

from .service import StepFunctionsService as SERVICE

__all__ = ["SERVICE"]
