"""The group coordinator: consumer groups, rebalances and committed offsets, on the engine clock.

As in Kafka, the broker only runs the membership protocol (JoinGroup, SyncGroup, Heartbeat,
LeaveGroup) and stores the assignment the group leader computed: assignors (range, round robin,
sticky, cooperative sticky) run in the clients. Session timeouts and rebalance timeouts
(`max.poll.interval.ms`) are timers on the engine clock.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.clock import Clock, Timer

from . import codes

#: Lag samples kept per group partition (the app's sparklines).
LAG_HISTORY = 120


@dataclass(slots=True)
class Member:
    """One group member."""

    member_id: str
    client_id: str
    client_host: str
    session_timeout_ms: int
    rebalance_timeout_ms: int
    protocol_type: str
    protocols: list[tuple[str, bytes]]
    instance_id: str | None = None
    assignment: bytes = b""
    join: asyncio.Future | None = None
    sync: asyncio.Future | None = None
    session: Timer | None = None


@dataclass(slots=True)
class JoinResult:
    """What JoinGroup answers one member."""

    error: int
    generation: int = -1
    protocol_type: str | None = None
    protocol: str | None = None
    leader: str = ""
    member_id: str = ""
    members: list[Member] = field(default_factory=list)


@dataclass(slots=True)
class Committed:
    """A committed offset."""

    offset: int
    metadata: str | None
    leader_epoch: int
    at: float


@dataclass(slots=True)
class Group:
    """One consumer group."""

    group_id: str
    arn: str
    state: str = "Empty"
    generation: int = 0
    protocol_type: str = ""
    protocol: str | None = None
    leader: str | None = None
    members: dict[str, Member] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)  # ids handed out with MEMBER_ID_REQUIRED
    offsets: dict[tuple[str, int], Committed] = field(default_factory=dict)
    rebalance_timer: Timer | None = None
    delay_until: float = 0.0
    rebalances: int = 0
    commits: int = 0
    lag_history: dict[tuple[str, int], deque] = field(default_factory=dict)


Emit = Callable[..., None]


class GroupCoordinator:
    """Every consumer group of one cluster."""

    def __init__(
        self,
        clock: Clock,
        new_id: Callable[[], str],
        group_arn: Callable[[str], str],
        emit: Emit,
        setting: Callable[[str], str],
    ) -> None:
        self.clock = clock
        self._new_id = new_id
        self._group_arn = group_arn
        self._emit = emit
        self._setting = setting
        self.groups: dict[str, Group] = {}

    # -- lookup ------------------------------------------------------------------------
    def group(self, group_id: str, create: bool = False) -> Group | None:
        """A group by id (created Empty on demand)."""
        group = self.groups.get(group_id)
        if group is None and create:
            group = self.groups[group_id] = Group(group_id, self._group_arn(group_id))
        return group

    # -- membership --------------------------------------------------------------------
    async def join(
        self,
        group_id: str,
        member_id: str,
        protocol_type: str,
        protocols: list[tuple[str, bytes]],
        session_timeout_ms: int,
        rebalance_timeout_ms: int,
        client_id: str,
        client_host: str,
        instance_id: str | None,
        require_member_id: bool,
    ) -> JoinResult:
        """JoinGroup: wait until the rebalance completes; the member's view of the generation."""
        if not group_id:
            return JoinResult(codes.INVALID_GROUP_ID)
        low = int(self._setting("group.min.session.timeout.ms"))
        high = int(self._setting("group.max.session.timeout.ms"))
        if not low <= session_timeout_ms <= high:
            return JoinResult(codes.INVALID_SESSION_TIMEOUT)
        group = self.group(group_id, create=True)
        assert group is not None
        if group.protocol_type and group.members and protocol_type != group.protocol_type:
            return JoinResult(codes.INCONSISTENT_GROUP_PROTOCOL)
        if group.members and not self._common_protocols(group, protocols):
            return JoinResult(codes.INCONSISTENT_GROUP_PROTOCOL)
        if not member_id:
            member_id = f"{client_id}-{self._new_id()}"
            if require_member_id:
                group.pending.add(member_id)
                return JoinResult(codes.MEMBER_ID_REQUIRED, member_id=member_id)
        elif member_id not in group.members and member_id not in group.pending:
            return JoinResult(codes.UNKNOWN_MEMBER_ID, member_id=member_id)
        group.pending.discard(member_id)
        member = group.members.get(member_id)
        if member is None:
            member = Member(
                member_id,
                client_id,
                client_host,
                session_timeout_ms,
                rebalance_timeout_ms,
                protocol_type,
                list(protocols),
                instance_id,
            )
            group.members[member_id] = member
            self._emit("member-joined", group.arn, member=member_id, client=client_id)
        else:
            member.protocols = list(protocols)
            member.session_timeout_ms = session_timeout_ms
            member.rebalance_timeout_ms = rebalance_timeout_ms
        group.protocol_type = protocol_type
        self._stop_session(member)
        if member.join is not None and not member.join.done():
            member.join.set_result(JoinResult(codes.UNKNOWN_MEMBER_ID, member_id=member_id))
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        member.join = future
        if group.state != "PreparingRebalance":
            self._prepare(group, f"{member_id} joined")
        self._maybe_complete(group)
        return await future

    async def sync(
        self, group_id: str, generation: int, member_id: str, assignments: dict[str, bytes]
    ) -> tuple[int, str | None, str | None, bytes]:
        """SyncGroup: (error, protocol type, protocol, this member's assignment)."""
        group = self.groups.get(group_id)
        if group is None or member_id not in group.members:
            return codes.UNKNOWN_MEMBER_ID, None, None, b""
        if generation != group.generation:
            return codes.ILLEGAL_GENERATION, None, None, b""
        if group.state == "PreparingRebalance":
            return codes.REBALANCE_IN_PROGRESS, None, None, b""
        member = group.members[member_id]
        self._touch(group, member)
        if group.state == "Stable":
            return codes.NONE, group.protocol_type, group.protocol, member.assignment
        if member_id == group.leader:
            for mid, other in group.members.items():
                other.assignment = assignments.get(mid, b"")
            group.state = "Stable"
            self._emit(
                "rebalanced",
                group.arn,
                generation=group.generation,
                members=sorted(group.members),
                protocol=group.protocol,
            )
            for other in group.members.values():
                if other.sync is not None and not other.sync.done():
                    other.sync.set_result(
                        (codes.NONE, group.protocol_type, group.protocol, other.assignment)
                    )
                other.sync = None
            return codes.NONE, group.protocol_type, group.protocol, member.assignment
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        member.sync = future
        return await future

    def heartbeat(self, group_id: str, generation: int, member_id: str) -> int:
        """Heartbeat: keeps the session alive; says when a rebalance is under way."""
        group = self.groups.get(group_id)
        if group is None or member_id not in group.members:
            return codes.UNKNOWN_MEMBER_ID
        member = group.members[member_id]
        if group.state == "PreparingRebalance":
            self._touch(group, member)
            return codes.REBALANCE_IN_PROGRESS
        if generation != group.generation:
            return codes.ILLEGAL_GENERATION
        self._touch(group, member)
        return codes.NONE

    def leave(self, group_id: str, member_ids: list[str]) -> list[int]:
        """LeaveGroup: remove members and rebalance the rest; an error per member."""
        group = self.groups.get(group_id)
        out = []
        for member_id in member_ids:
            if group is None or member_id not in group.members:
                out.append(codes.UNKNOWN_MEMBER_ID)
                continue
            self._remove(group, member_id, "member-left")
            out.append(codes.NONE)
        return out

    # -- offsets ---------------------------------------------------------------------------
    def commit(
        self,
        group_id: str,
        generation: int,
        member_id: str,
        offsets: list[tuple[str, int, int, str | None, int]],
    ) -> int:
        """OffsetCommit: store (topic, partition, offset, metadata, leader epoch) entries."""
        group = self.group(group_id, create=True)
        assert group is not None
        if generation >= 0 or member_id:
            if member_id not in group.members:
                return codes.UNKNOWN_MEMBER_ID
            if generation != group.generation:
                return codes.ILLEGAL_GENERATION
            if group.state == "PreparingRebalance":
                return codes.REBALANCE_IN_PROGRESS
            self._touch(group, group.members[member_id])
        elif group.members:
            return codes.ILLEGAL_GENERATION
        self.store(group, offsets)
        return codes.NONE

    def store(self, group: Group, offsets: list[tuple[str, int, int, str | None, int]]) -> None:
        """Record committed offsets (an OffsetCommit, or a transaction's at its commit)."""
        now = self.clock.now()
        for topic, partition, offset, metadata, epoch in offsets:
            group.offsets[(topic, partition)] = Committed(offset, metadata, epoch, now)
        group.commits += 1
        self._emit(
            "committed",
            group.arn,
            offsets={f"{t}-{p}": o for t, p, o, _, _ in offsets[:16]},
        )

    def committed(self, group_id: str, topic: str, partition: int) -> Committed | None:
        """The committed offset of one partition, or None."""
        group = self.groups.get(group_id)
        return group.offsets.get((topic, partition)) if group is not None else None

    def delete(self, group_id: str) -> int:
        """DeleteGroups: only an empty group can go."""
        group = self.groups.get(group_id)
        if group is None:
            return codes.GROUP_ID_NOT_FOUND
        if group.members:
            return codes.NON_EMPTY_GROUP
        del self.groups[group_id]
        return codes.NONE

    def forget_topic(self, topic: str) -> None:
        """Drop committed offsets of a deleted topic."""
        for group in self.groups.values():
            for key in [k for k in group.offsets if k[0] == topic]:
                del group.offsets[key]
                group.lag_history.pop(key, None)

    def close(self) -> None:
        """Cancel every timer and wake every waiter (the cluster is going away)."""
        for group in self.groups.values():
            if group.rebalance_timer is not None:
                group.rebalance_timer.cancel()
            for member in group.members.values():
                self._stop_session(member)
                for future in (member.join, member.sync):
                    if future is not None and not future.done():
                        future.cancel()
        self.groups.clear()

    # -- lag -------------------------------------------------------------------------------
    def sample_lag(self, group: Group, ends: dict[tuple[str, int], int]) -> None:
        """Record each partition's lag (end offset − committed offset) now."""
        now = self.clock.now()
        for key, end in ends.items():
            committed = group.offsets.get(key)
            lag = end - committed.offset if committed is not None else end
            history = group.lag_history.get(key)
            if history is None:
                history = group.lag_history[key] = deque(maxlen=LAG_HISTORY)
            if history and history[-1][0] == now:
                history[-1] = (now, lag)
            else:
                history.append((now, lag))

    # -- the rebalance state machine ---------------------------------------------------------
    def _common_protocols(self, group: Group, protocols: list[tuple[str, bytes]]) -> set[str]:
        names = {name for name, _ in protocols}
        for member in group.members.values():
            names &= {name for name, _ in member.protocols}
        return names

    def _prepare(self, group: Group, reason: str) -> None:
        """Start a rebalance: members must rejoin within the rebalance timeout."""
        was_empty = group.state == "Empty"
        group.state = "PreparingRebalance"
        group.rebalances += 1
        self._emit("rebalance-started", group.arn, reason=reason, generation=group.generation)
        for member in group.members.values():
            if member.sync is not None and not member.sync.done():
                member.sync.set_result((codes.REBALANCE_IN_PROGRESS, None, None, b""))
            member.sync = None
        if group.rebalance_timer is not None:
            group.rebalance_timer.cancel()
        timeout = max((m.rebalance_timeout_ms for m in group.members.values()), default=0) / 1000
        if was_empty:
            delay = int(self._setting("group.initial.rebalance.delay.ms")) / 1000
            group.delay_until = self.clock.now() + min(delay, timeout)
            if delay > 0:
                self.clock.call_later(min(delay, timeout), self._maybe_complete, group)
        group.rebalance_timer = self.clock.call_later(timeout, self._rebalance_expired, group)

    def _maybe_complete(self, group: Group) -> None:
        if group.state != "PreparingRebalance":
            return
        if self.clock.now() < group.delay_until:
            return
        if all(m.join is not None and not m.join.done() for m in group.members.values()):
            self._complete(group)

    def _rebalance_expired(self, group: Group) -> None:
        if group.state != "PreparingRebalance":
            return
        for member_id, member in list(group.members.items()):
            if member.join is None or member.join.done():
                del group.members[member_id]
                self._emit("member-expired", group.arn, member=member_id, why="rebalance timeout")
        self._complete(group)

    def _complete(self, group: Group) -> None:
        if group.rebalance_timer is not None:
            group.rebalance_timer.cancel()
            group.rebalance_timer = None
        group.generation += 1
        if not group.members:
            group.state = "Empty"
            group.protocol = None
            group.leader = None
            return
        group.protocol = self._choose_protocol(group)
        if group.leader not in group.members:
            group.leader = next(iter(group.members))
        group.state = "CompletingRebalance"
        members = list(group.members.values())
        for member in members:
            result = JoinResult(
                codes.NONE,
                group.generation,
                group.protocol_type,
                group.protocol,
                group.leader,
                member.member_id,
                members if member.member_id == group.leader else [],
            )
            if member.join is not None and not member.join.done():
                member.join.set_result(result)
            member.join = None
            self._touch(group, member)

    def _choose_protocol(self, group: Group) -> str | None:
        candidates = None
        for member in group.members.values():
            names = {name for name, _ in member.protocols}
            candidates = names if candidates is None else candidates & names
        if not candidates:
            return None
        votes: dict[str, int] = {}
        for member in group.members.values():
            for name, _ in member.protocols:
                if name in candidates:
                    votes[name] = votes.get(name, 0) + 1
                    break
        return max(sorted(votes), key=lambda name: votes[name])

    def _touch(self, group: Group, member: Member) -> None:
        """Restart the member's session timer."""
        self._stop_session(member)
        member.session = self.clock.call_later(
            member.session_timeout_ms / 1000, self._session_expired, group, member.member_id
        )

    @staticmethod
    def _stop_session(member: Member) -> None:
        if member.session is not None:
            member.session.cancel()
            member.session = None

    def _session_expired(self, group: Group, member_id: str) -> None:
        member = group.members.get(member_id)
        if member is None or (member.join is not None and not member.join.done()):
            return
        self._remove(group, member_id, "member-expired")

    def _remove(self, group: Group, member_id: str, kind: str) -> None:
        member = group.members.pop(member_id)
        self._stop_session(member)
        for future in (member.join, member.sync):
            if future is not None and not future.done():
                future.set_result(
                    JoinResult(codes.UNKNOWN_MEMBER_ID)
                    if future is member.join
                    else (codes.UNKNOWN_MEMBER_ID, None, None, b"")
                )
        self._emit(kind, group.arn, member=member_id)
        if group.state in ("Stable", "CompletingRebalance"):
            if group.members:
                self._prepare(group, f"{member_id} left")
            else:
                group.state = "Empty"
                group.generation += 1
                group.leader = None
        elif group.state == "PreparingRebalance":
            self._maybe_complete(group)

    def describe(self, group: Group) -> dict[str, Any]:
        """A plain summary (console and app)."""
        return {
            "GroupId": group.group_id,
            "State": group.state,
            "Generation": group.generation,
            "Protocol": group.protocol,
            "Members": len(group.members),
            "Rebalances": group.rebalances,
        }
