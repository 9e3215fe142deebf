"""The transaction coordinator: transactional producers, markers and transactional offsets.

As in Kafka: InitProducerId for a `transactional.id` fences the previous epoch (aborting its open
transaction); AddPartitionsToTxn / AddOffsetsToTxn enlist partitions and groups; TxnOffsetCommit
holds offsets until EndTxn, which writes a COMMIT or ABORT control batch to every enlisted
partition and then makes the offsets visible (or drops them). A transaction left open longer
than its `transaction.timeout.ms` is aborted on the engine clock. Partitions track open and aborted
transactions, so read_committed fetches stop at the last stable offset and list aborted ranges.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from engine.clock import Timer

from . import codes
from .log import control_batch

if TYPE_CHECKING:
    from .state import ClusterState

INVALID_PRODUCER_ID_MAPPING = 49
CONCURRENT_TRANSACTIONS = 51
PRODUCER_FENCED = 90
MAX_TIMEOUT_MS = 900_000  # transaction.max.timeout.ms


@dataclass(slots=True)
class Transaction:
    """One transactional id's producer and its open transaction, if any."""

    transactional_id: str
    producer_id: int
    epoch: int
    timeout_ms: int
    state: str = "Empty"  # Empty | Ongoing
    partitions: set[tuple[str, int]] = field(default_factory=set)
    offsets: dict[str, list[tuple[str, int, int, str | None, int]]] = field(default_factory=dict)
    timer: Timer | None = None


class TransactionCoordinator:
    """Every transactional id of one cluster."""

    def __init__(self, state: ClusterState) -> None:
        self.state = state
        self.clock = state.service.clock
        self.transactions: dict[str, Transaction] = {}

    def init_producer(self, transactional_id: str, timeout_ms: int) -> tuple[int, int, int]:
        """InitProducerId: (error, producer id, epoch); a new epoch fences the old producer."""
        if not 0 < timeout_ms <= MAX_TIMEOUT_MS:
            return 50, -1, -1  # INVALID_TRANSACTION_TIMEOUT
        txn = self.transactions.get(transactional_id)
        if txn is None:
            producer_id, _ = self.state.new_producer_id()
            txn = self.transactions[transactional_id] = Transaction(
                transactional_id, producer_id, 0, timeout_ms
            )
            return codes.NONE, txn.producer_id, txn.epoch
        if txn.state == "Ongoing":
            self._finish(txn, commit=False, reason="fenced by a new producer")
        txn.epoch += 1
        txn.timeout_ms = timeout_ms
        return codes.NONE, txn.producer_id, txn.epoch

    def _current(
        self, transactional_id: str, producer_id: int, epoch: int
    ) -> tuple[int, Transaction | None]:
        txn = self.transactions.get(transactional_id)
        if txn is None or txn.producer_id != producer_id:
            return INVALID_PRODUCER_ID_MAPPING, None
        if epoch != txn.epoch:
            return PRODUCER_FENCED if epoch < txn.epoch else codes.INVALID_PRODUCER_EPOCH, None
        return codes.NONE, txn

    def _begin(self, txn: Transaction) -> None:
        if txn.state != "Ongoing":
            txn.state = "Ongoing"
            txn.timer = self.clock.call_later(txn.timeout_ms / 1000, self._expire, txn, txn.epoch)

    def add_partitions(
        self, transactional_id: str, producer_id: int, epoch: int, partitions: list[tuple[str, int]]
    ) -> dict[tuple[str, int], int]:
        """AddPartitionsToTxn: an error per partition."""
        error, txn = self._current(transactional_id, producer_id, epoch)
        if txn is None:
            return {tp: error for tp in partitions}
        out = {}
        for topic, index in partitions:
            if self.state.data.partition(topic, index) is None:
                out[(topic, index)] = codes.UNKNOWN_TOPIC_OR_PARTITION
            else:
                out[(topic, index)] = codes.NONE
        if all(code == codes.NONE for code in out.values()):
            self._begin(txn)
            txn.partitions.update(partitions)
        return out

    def add_offsets(
        self, transactional_id: str, producer_id: int, epoch: int, group_id: str
    ) -> int:
        """AddOffsetsToTxn: the group's offsets will be committed with the transaction."""
        error, txn = self._current(transactional_id, producer_id, epoch)
        if txn is None:
            return error
        self._begin(txn)
        txn.offsets.setdefault(group_id, [])
        return codes.NONE

    def commit_offsets(
        self,
        transactional_id: str,
        producer_id: int,
        epoch: int,
        group_id: str,
        offsets: list[tuple[str, int, int, str | None, int]],
    ) -> int:
        """TxnOffsetCommit: hold the offsets until the transaction ends."""
        error, txn = self._current(transactional_id, producer_id, epoch)
        if txn is None:
            return error
        if group_id not in txn.offsets:
            return codes.INVALID_TXN_STATE
        txn.offsets[group_id].extend(offsets)
        return codes.NONE

    def end(self, transactional_id: str, producer_id: int, epoch: int, committed: bool) -> int:
        """EndTxn: write the markers; commit (or drop) the held offsets."""
        error, txn = self._current(transactional_id, producer_id, epoch)
        if txn is None:
            return error
        if txn.state != "Ongoing":
            return codes.INVALID_TXN_STATE
        self._finish(txn, committed, reason="EndTxn")
        return codes.NONE

    def _expire(self, txn: Transaction, epoch: int) -> None:
        if txn.state == "Ongoing" and txn.epoch == epoch:
            self._finish(txn, commit=False, reason="transaction.timeout.ms passed")
            txn.epoch += 1  # the timed-out producer is fenced, as Kafka bumps the epoch

    def _finish(self, txn: Transaction, commit: bool, reason: str) -> None:
        if txn.timer is not None:
            txn.timer.cancel()
            txn.timer = None
        data = self.state.data
        now = self.clock.now_ms()
        marker = control_batch(txn.producer_id, txn.epoch, commit, now)
        for topic_name, index in sorted(txn.partitions):
            topic = data.topics.get(topic_name)
            partition = data.partition(topic_name, index)
            if topic is None or partition is None:
                continue
            base = partition.log.append(marker)
            data.notify(topic, partition, base, 0)
        if commit:
            for group_id, offsets in txn.offsets.items():
                if offsets:
                    group = self.state.groups.group(group_id, create=True)
                    assert group is not None
                    self.state.groups.store(group, offsets)
        self.state.service.emit(
            "transaction-committed" if commit else "transaction-aborted",
            self.state.arn,
            transactional_id=txn.transactional_id,
            partitions=len(txn.partitions),
            reason=reason,
        )
        txn.partitions = set()
        txn.offsets = {}
        txn.state = "Empty"

    def close(self) -> None:
        """Cancel every transaction timer."""
        for txn in self.transactions.values():
            if txn.timer is not None:
                txn.timer.cancel()
