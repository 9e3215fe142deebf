"""AWS Identity and Access Management."""

from .service import IamService as SERVICE

__all__ = ["SERVICE"]
