"""Kinesis shard operations: ListShards with filters, SplitShard, MergeShards, UpdateShardCount."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .control import SHARD_LIMIT, epoch_of, parse_hash_key
from .errors import invalid, limit_exceeded
from .shard import Shard
from .stream import Stream

if TYPE_CHECKING:
    from .service import KinesisService


class ShardOperations:
    """Listing shards and resharding."""

    def __init__(self, service: KinesisService) -> None:
        self.service = service

    def list_shards(self, params: dict) -> dict:
        """ListShards: a page of shards, filtered by ShardFilter or ExclusiveStartShardId."""
        if "NextToken" in params:
            if "StreamName" in params or "StreamARN" in params:
                raise invalid("NextToken and StreamName/StreamARN cannot be provided together.")
            name, (after, flt) = self.service.control_api.read_token(params["NextToken"], "shards")
            stream = self.service.control_api.requested_stream({"StreamName": name})
        else:
            stream = self.service.control_api.requested_stream(params)
            after = params.get("ExclusiveStartShardId")
            flt = self._shard_filter(params.get("ShardFilter"), after)
        now = self.service.clock.now()
        stream.expire_closed_shards(now)
        shards = self._filtered_shards(stream, flt, now)
        if after is not None:
            shards = [s for s in shards if s.shard_id > after]
        limit = params.get("MaxResults", 1000)
        page = shards[:limit]
        out: dict[str, Any] = {"Shards": [s.as_dict() for s in page]}
        if len(shards) > limit:
            out["NextToken"] = self.service.control_api.make_token(
                "shards", stream.name, [page[-1].shard_id, flt]
            )
        return out

    def _shard_filter(self, shard_filter: dict | None, after: str | None) -> list | None:
        if shard_filter is None:
            return None
        kind = shard_filter["Type"]
        if kind == "AFTER_SHARD_ID" and "ShardId" not in shard_filter:
            raise invalid("ShardId must be provided for a ShardFilter of type AFTER_SHARD_ID.")
        if kind in ("AT_TIMESTAMP", "FROM_TIMESTAMP") and "Timestamp" not in shard_filter:
            raise invalid(f"Timestamp must be provided for a ShardFilter of type {kind}.")
        if after is not None:
            raise invalid("ShardFilter and ExclusiveStartShardId cannot both be provided.")
        when = epoch_of(shard_filter["Timestamp"]) if "Timestamp" in shard_filter else None
        return [kind, shard_filter.get("ShardId"), when]

    def _filtered_shards(self, stream: Stream, flt: list | None, now: float) -> list[Shard]:
        shards = list(stream.shards.values())
        if flt is None:
            return shards
        kind, shard_id, when = flt
        if kind == "AT_LATEST":
            return [s for s in shards if s.is_open]
        if kind == "AFTER_SHARD_ID":
            return [s for s in shards if s.shard_id > shard_id]
        if kind in ("AT_TIMESTAMP", "AT_TRIM_HORIZON"):
            at = when if kind == "AT_TIMESTAMP" else now - stream.retention_hours * 3600
            at = max(at, stream.created)
            return [
                s
                for s in shards
                if s.created_at <= at and (s.closed_at is None or s.closed_at > at)
            ]
        if kind == "FROM_TIMESTAMP":
            return [s for s in shards if s.closed_at is None or s.closed_at >= when]
        return shards  # FROM_TRIM_HORIZON: every shard still within retention

    def split_shard(self, params: dict) -> dict:
        """SplitShard: close a shard and open two children divided at NewStartingHashKey."""
        stream = self.service.control_api.requested_stream(params)
        shard = self.service.control_api.find_open_shard(stream, params["ShardToSplit"])
        text = params["NewStartingHashKey"]
        new_start = parse_hash_key(text, "NewStartingHashKey", "newStartingHashKey")
        if not shard.start_hash + 1 < new_start < shard.end_hash:
            raise invalid(
                f"NewStartingHashKey {text} used in SplitShard() on shard {shard.shard_id} in "
                f"stream {stream.name} under account {self.service.account_id} is not both greater than "
                f"one plus the shard's StartingHashKey {shard.start_hash} and less than the "
                f"shard's EndingHashKey {shard.end_hash}."
            )
        self._check_shard_room(1)
        low, high = stream.split(shard, new_start, self.service.clock.now())
        self._announce_closed(stream, [shard])
        self.service.emit(
            "resharded", stream.arn, shard=shard.shard_id, children=[low.shard_id, high.shard_id]
        )
        return {}

    def merge_shards(self, params: dict) -> dict:
        """MergeShards: close two adjacent shards and open one child covering both."""
        stream = self.service.control_api.requested_stream(params)
        shard = self.service.control_api.find_open_shard(stream, params["ShardToMerge"])
        adjacent = self.service.control_api.find_open_shard(stream, params["AdjacentShardToMerge"])
        # AWS wants ShardToMerge to be the lower of the two (an inverted pair is refused).
        if shard.end_hash + 1 != adjacent.start_hash:
            raise invalid(
                f"Shards {shard.shard_id} and {adjacent.shard_id} in stream {stream.name} under "
                f"account {self.service.account_id} are not an adjacent pair of shards eligible for "
                "merging"
            )
        child = stream.merge(shard, adjacent, self.service.clock.now())
        self._announce_closed(stream, [shard, adjacent])
        self.service.emit(
            "resharded",
            stream.arn,
            shard=shard.shard_id,
            adjacent=adjacent.shard_id,
            children=[child.shard_id],
        )
        return {}

    def update_shard_count(self, params: dict) -> dict:
        """UpdateShardCount: uniform scaling to between half and double the open shards."""
        stream = self.service.control_api.requested_stream(params)
        target = params["TargetShardCount"]
        current = len(stream.open_shards())
        if target > current * 2:
            raise limit_exceeded(
                f"UpdateShardCount cannot scale up over double your current open shard count. "
                f"Current open shard count: {current} Target shard count: {target}"
            )
        if target * 2 < current:
            raise limit_exceeded(
                f"UpdateShardCount cannot scale down below half your current open shard count. "
                f"Current open shard count: {current} Target shard count: {target}"
            )
        self._check_shard_room(target - current)
        if target != current:
            closing = stream.open_shards()
            stream.scale_uniform(target, self.service.clock.now())
            self._announce_closed(stream, closing)
            self.service.emit("resharded", stream.arn, shards=target)
        return {
            "StreamName": stream.name,
            "CurrentShardCount": current,
            "TargetShardCount": target,
            "StreamARN": stream.arn,
        }

    def _announce_closed(self, stream: Stream, closed: list[Shard]) -> None:
        """Call the stream's put listeners for shards resharding just closed.

        A consumer waiting for records on a shard learns this way that it has reached the
        shard's end and can move on to the children.
        """
        for shard in closed:
            for listener in list(stream.listeners):
                listener(stream, shard)

    def _check_shard_room(self, extra: int) -> None:
        current = self.service.control_api.open_shard_total()
        if extra > 0 and current + extra > SHARD_LIMIT:
            raise limit_exceeded(
                f"This request would exceed the shard limit for the account {self.service.account_id} "
                f"in {self.service.region}. Current provisioned shard count for the account in "
                f"{self.service.region}: {current}. Limit: {SHARD_LIMIT}."
            )
