"""AWS CloudFormation (and SAM) in the lab."""

from .service import CloudFormationService as SERVICE

__all__ = ["SERVICE"]
