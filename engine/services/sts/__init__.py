"""AWS Security Token Service."""

from .service import StsService as SERVICE

__all__ = ["SERVICE"]
