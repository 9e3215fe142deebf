"""The partition log, the partitioner and the group coordinator, on the virtual clock."""

from __future__ import annotations

import asyncio

import pytest
from kafka.partitioner.default import murmur2 as kafka_python_murmur2
from kafka.record.default_records import DefaultRecordBatchBuilder

from engine import Engine, VirtualClock
from engine.services.kafka import codes
from engine.services.kafka.log import PartitionLog, ProduceRejected, build_batch
from engine.services.kafka.topics import murmur2

from .kafka_lab import active_cluster, topic

pytestmark = pytest.mark.timeout(30)


def _idempotent(pid: int, epoch: int, seq: int, values: list[bytes]) -> bytes:
    builder = DefaultRecordBatchBuilder(2, 0, False, pid, epoch, seq, 1 << 20)
    for i, value in enumerate(values):
        builder.append(i, 1000 + i, None, value, [])
    return bytes(builder.build())


def test_murmur2_matches_kafka_python() -> None:
    for key in [b"", b"a", b"ab", b"abc", b"abcd", b"order-42", bytes(range(37))]:
        assert murmur2(key) & 0x7FFFFFFF == kafka_python_murmur2(key) & 0x7FFFFFFF


def test_reads_bisect_to_the_batch_holding_the_offset() -> None:
    log = PartitionLog()
    for i in range(100):
        log.append(build_batch([(None, b"%d" % (i * 10 + j), [], 1000 + i) for j in range(10)]))
    assert log.end_offset == 1000
    records = log.records(537, 3)
    assert [r.offset for r in records] == [537, 538, 539]
    assert records[0].value == b"537"
    chunk = log.read(537, 1)  # at least one whole batch, starting with the one holding 537
    assert int.from_bytes(chunk[:8], "big") == 530
    assert log.read(1000, 1 << 20) == b""
    assert log.offset_for_timestamp(1050) == (500, 1050)


def test_idempotent_retry_is_not_duplicated_and_gaps_are_refused() -> None:
    log = PartitionLog()
    first = _idempotent(7, 0, 0, [b"a", b"b"])
    assert log.append(first) == 0
    assert log.append(first) == 0  # the retry answers with the original offset
    assert log.end_offset == 2
    with pytest.raises(ProduceRejected) as rejected:
        log.append(_idempotent(7, 0, 5, [b"c"]))
    assert rejected.value.code == codes.OUT_OF_ORDER_SEQUENCE
    assert log.append(_idempotent(7, 0, 2, [b"c"])) == 2


def test_retention_by_time_and_size_keeps_the_active_batch() -> None:
    log = PartitionLog()
    for i in range(10):
        log.append(build_batch([(None, b"x" * 100, [], i * 1000)]))
    assert log.enforce_retention(now_ms=9500, retention_ms=5000, retention_bytes=-1) == 5
    assert log.log_start_offset == 5
    size = log.size
    log.enforce_retention(now_ms=9500, retention_ms=-1, retention_bytes=size // 2)
    assert log.size <= size // 2 + size // 5
    log.enforce_retention(now_ms=10**9, retention_ms=1, retention_bytes=-1)
    assert log.batch_count == 1 and log.log_start_offset == 9


def test_compaction_keeps_the_newest_value_per_key_and_drops_old_tombstones() -> None:
    log = PartitionLog()
    log.append(build_batch([(b"a", b"1", [], 0), (b"b", b"1", [], 0)]))
    log.append(build_batch([(b"a", b"2", [], 1), (b"b", None, [], 1)]))
    log.append(build_batch([(b"c", b"1", [], 2)]))  # the active batch
    removed = log.compact(now_ms=10, delete_retention_ms=1000)
    assert removed == 2
    assert [(r.offset, r.key, r.value) for r in log.records(0, 10)] == [
        (2, b"a", b"2"),
        (3, b"b", None),
        (4, b"c", b"1"),
    ]
    assert log.compact(now_ms=10_000, delete_retention_ms=1000) == 1  # the tombstone's time is up
    assert [r.key for r in log.records(0, 10)] == [b"a", b"c"]


async def test_the_lab_producer_and_server_side_retention_on_the_clock(
    eng: Engine, clock: VirtualClock
) -> None:
    arn, _ = await active_cluster(eng)
    await topic(eng, arn, "short", 2, retention_ms=60_000)
    service = eng.service("kafka")
    cluster = service.resolve(arn)
    placed = service.produce(
        cluster, "short", [(b"k1", b"v", []), (b"k1", b"w", []), (None, b"x", [])]
    )
    assert placed[0][0] == placed[1][0] and placed[1][1] == placed[0][1] + 1
    await clock.advance(30)
    service.produce(cluster, "short", [(b"k1", b"later", [])])
    await clock.advance(60)  # past retention for the first batch; the cleaner runs every 15 s
    partition = cluster.data.topics["short"].partitions[placed[0][0]]
    assert partition.log.log_start_offset > 0


async def test_session_timeout_expires_a_silent_member_on_the_clock(
    eng: Engine, clock: VirtualClock
) -> None:
    arn, _ = await active_cluster(eng)
    cluster = eng.service("kafka").resolve(arn)
    groups = cluster.groups
    join = asyncio.ensure_future(
        groups.join(
            "g", "", "consumer", [("range", b"")], 6000, 30000, "c1", "/127.0.0.1", None, False
        )
    )
    await clock.advance(0)
    result = await join
    assert result.error == 0 and result.leader == result.member_id
    error, _, protocol, _ = await groups.sync(
        "g", result.generation, result.member_id, {result.member_id: b"x"}
    )
    assert error == 0 and protocol == "range"
    assert groups.group("g").state == "Stable"
    await clock.advance(5)
    assert groups.heartbeat("g", result.generation, result.member_id) == 0
    await clock.advance(7)  # no heartbeat for more than session.timeout.ms
    group = groups.group("g")
    assert group.members == {} and group.state == "Empty"
    assert groups.heartbeat("g", result.generation, result.member_id) == codes.UNKNOWN_MEMBER_ID


async def test_join_needs_a_member_id_from_v4_and_rejects_bad_session_timeouts(eng: Engine) -> None:
    arn, _ = await active_cluster(eng)
    groups = eng.service("kafka").resolve(arn).groups
    first = await groups.join(
        "g", "", "consumer", [("range", b"")], 6000, 6000, "c", "/h", None, True
    )
    assert first.error == codes.MEMBER_ID_REQUIRED and first.member_id.startswith("c-")
    bad = await groups.join("g", "", "consumer", [("range", b"")], 10, 6000, "c", "/h", None, True)
    assert bad.error == codes.INVALID_SESSION_TIMEOUT


async def test_log_append_time_stamps_records_with_the_broker_clock(eng: Engine) -> None:
    from kafka.record.default_records import DefaultRecordBatch

    arn, _ = await active_cluster(eng)
    await topic(eng, arn, "stamped", 1, message_timestamp_type="LogAppendTime")
    kafka = eng.service("kafka")
    cluster = kafka.resolve(arn)
    partition = cluster.data.topics["stamped"].partitions[0]
    batch = build_batch([(None, b"x", [], 12345)])
    code, base, _ = kafka.topics.append(
        cluster.data, cluster.data.topics["stamped"], partition, batch, 1
    )
    assert code == 0 and base == 0
    stored = DefaultRecordBatch(partition.log.read(0, 1 << 20))
    assert stored.validate_crc()
    [record] = list(stored)
    assert record.timestamp == eng.clock.now_ms() and record.timestamp_type == 1


async def test_a_member_that_does_not_rejoin_within_the_rebalance_timeout_is_removed(
    eng: Engine, clock: VirtualClock
) -> None:
    arn, _ = await active_cluster(eng)
    groups = eng.service("kafka").resolve(arn).groups
    protocols = [("range", b"")]
    first = asyncio.ensure_future(
        groups.join("g", "", "consumer", protocols, 30000, 5000, "a", "/h", None, False)
    )
    await clock.advance(0)
    a = await first
    await groups.sync("g", a.generation, a.member_id, {a.member_id: b""})
    # a second member joins: a rebalance starts; `a` keeps polling but never rejoins
    second = asyncio.ensure_future(
        groups.join("g", "", "consumer", protocols, 30000, 5000, "b", "/h", None, False)
    )
    await clock.advance(1)
    assert groups.group("g").state == "PreparingRebalance"
    await clock.advance(5)  # the rebalance timeout (max.poll.interval.ms) passes
    b = await second
    assert b.error == 0 and b.leader == b.member_id
    assert list(groups.group("g").members) == [b.member_id]
    assert groups.heartbeat("g", b.generation, a.member_id) == codes.UNKNOWN_MEMBER_ID


def _fetch(topic_name: str, max_wait_ms: int, min_bytes: int) -> bytes:
    from kafka.protocol.consumer import FetchRequest

    request = FetchRequest(
        version=12,
        max_wait_ms=max_wait_ms,
        min_bytes=min_bytes,
        max_bytes=1 << 20,
        topics=[
            FetchRequest.FetchTopic(
                topic=topic_name,
                partitions=[
                    FetchRequest.FetchTopic.FetchPartition(
                        partition=0, fetch_offset=0, partition_max_bytes=1 << 20
                    )
                ],
            )
        ],
    )
    request.with_header(correlation_id=1, client_id="t")
    return bytes(request.encode(header=True))


async def test_fetch_min_bytes_waits_for_enough_data_or_max_wait(
    eng: Engine, clock: VirtualClock
) -> None:
    arn, _ = await active_cluster(eng)
    await topic(eng, arn, "slow", 1)
    kafka = eng.service("kafka")
    cluster = kafka.resolve(arn)
    reply = asyncio.ensure_future(
        cluster.server.dispatch(1, 12, 1, _fetch("slow", 5000, 1000), None)
    )
    await clock.advance(1)
    kafka.produce(cluster, "slow", [(None, b"x" * 100, [])])  # ~170 bytes: not enough yet
    await clock.advance(1)
    assert not reply.done()
    kafka.produce(cluster, "slow", [(None, b"y" * 1000, [])])
    await clock.advance(0)
    assert reply.done()  # answered as soon as min.bytes had arrived, before max.wait.ms
    late = asyncio.ensure_future(
        cluster.server.dispatch(1, 12, 1, _fetch("slow", 5000, 1 << 20), None)
    )
    await clock.advance(4.9)
    assert not late.done()
    await clock.advance(0.2)
    assert late.done()  # max.wait.ms passed: whatever there is


async def test_a_long_poll_that_times_out_leaves_no_waiter_behind(
    eng: Engine, clock: VirtualClock
) -> None:
    arn, _ = await active_cluster(eng)
    await topic(eng, arn, "idle", 1)
    cluster = eng.service("kafka").resolve(arn)
    payload = _fetch("idle", 500, 1)
    for _ in range(5):
        reply = asyncio.ensure_future(cluster.server.dispatch(1, 12, 1, payload, None))
        await clock.advance(0.5)
        assert (await reply)[:4]  # an empty answer after max.wait.ms
    assert cluster.data.topics["idle"].partitions[0].waiters == []


async def test_transactions_fence_old_epochs_and_abort_on_timeout(
    eng: Engine, clock: VirtualClock
) -> None:
    from engine.services.kafka.transactions import PRODUCER_FENCED

    arn, _ = await active_cluster(eng)
    await topic(eng, arn, "tx", 1)
    cluster = eng.service("kafka").resolve(arn)
    coordinator = cluster.transactions
    error, pid, epoch = coordinator.init_producer("t-1", 10_000)
    assert error == 0 and epoch == 0
    assert coordinator.add_partitions("t-1", pid, epoch, [("tx", 0)]) == {("tx", 0): 0}
    log = cluster.data.topics["tx"].partitions[0].log
    builder = DefaultRecordBatchBuilder(2, 0, True, pid, epoch, 0, 1 << 20)
    builder.append(0, 1000, None, b"pending", [])
    log.append(bytes(builder.build()))
    assert log.stable_offset == 0 and log.end_offset == 1  # read_committed sees nothing yet
    await clock.advance(11)  # transaction.timeout.ms passes: aborted on the clock
    assert log.stable_offset == 2 and log.aborted_between(0, 2) == [(pid, 0)]
    assert coordinator.end("t-1", pid, epoch, True) == PRODUCER_FENCED
    error, pid, newer = coordinator.init_producer("t-1", 10_000)
    assert newer > epoch


async def test_acks_all_needs_min_insync_replicas_and_fetches_outside_the_log_are_refused(
    eng: Engine, clock: VirtualClock
) -> None:
    from kafka.protocol.consumer import FetchRequest, FetchResponse

    arn, _ = await active_cluster(eng)
    await topic(eng, arn, "safe", 1, min_insync_replicas=2)
    kafka = eng.service("kafka")
    cluster = kafka.resolve(arn)
    safe = cluster.data.topics["safe"]
    batch = build_batch([(None, b"x", [], 1)])
    kafka.set_broker_down(cluster, 2, True)
    assert kafka.topics.append(cluster.data, safe, safe.partitions[0], batch, -1)[0] == 0
    kafka.set_broker_down(cluster, 3, True)  # the ISR is now {1}: below min.insync.replicas
    assert (
        kafka.topics.append(cluster.data, safe, safe.partitions[0], batch, -1)[0]
        == codes.NOT_ENOUGH_REPLICAS
    )
    assert kafka.topics.append(cluster.data, safe, safe.partitions[0], batch, 1)[0] == 0  # acks=1
    reply = await cluster.server.dispatch(1, 12, 1, _fetch("safe", 0, 1), None)
    decoded = FetchResponse.decode(reply[4:], version=12, header=True)
    assert decoded.responses[0].partitions[0].error_code == 0
    request = FetchRequest.decode(_fetch("safe", 0, 1), version=12, header=True)
    request.topics[0].partitions[0].fetch_offset = 99
    request.with_header(correlation_id=2, client_id="t")
    reply = await cluster.server.dispatch(1, 12, 2, bytes(request.encode(header=True)), None)
    decoded = FetchResponse.decode(reply[4:], version=12, header=True)
    assert decoded.responses[0].partitions[0].error_code == codes.OFFSET_OUT_OF_RANGE
