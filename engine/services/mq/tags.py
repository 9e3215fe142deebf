"""Tags on brokers and configurations (CreateTags, DeleteTags, ListTags)."""

from __future__ import annotations

from .errors import not_found


class Tags:
    """Tag maps by resource ARN."""

    def __init__(self) -> None:
        self._by_arn: dict[str, dict[str, str]] = {}

    def set(self, arn: str, tags: dict[str, str]) -> None:
        """Start a resource's tags."""
        self._by_arn[arn] = dict(tags)

    def get(self, arn: str) -> dict[str, str]:
        """A copy of a resource's tags."""
        return dict(self._by_arn.get(arn, {}))

    def drop(self, arn: str) -> None:
        """Forget a deleted resource's tags."""
        self._by_arn.pop(arn, None)

    def _existing(self, arn: str) -> dict[str, str]:
        found = self._by_arn.get(arn)
        if found is None:
            raise not_found(f"Can't find requested resource [{arn}].", "resource-arn")
        return found

    def create(self, params: dict) -> dict:
        """CreateTags."""
        self._existing(params["ResourceArn"]).update(params.get("Tags") or {})
        return {}

    def delete(self, params: dict) -> dict:
        """DeleteTags."""
        tags = self._existing(params["ResourceArn"])
        for key in params["TagKeys"]:
            tags.pop(key, None)
        return {}

    def list(self, params: dict) -> dict:
        """ListTags."""
        return {"Tags": dict(self._existing(params["ResourceArn"]))}
