"""Amazon AppFlow with the lab's sandbox SaaS apps."""

from .service import AppFlowService as SERVICE

__all__ = ["SERVICE"]
