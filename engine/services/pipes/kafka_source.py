"""A pipe's Amazon MSK source: one topic read as a consumer group, batches across partitions.

Records reach the pipeline in the shape AWS documents for an MSK source (`eventSource:
aws:kafka`, `eventSourceKey` = `topic-partition`, base64 key and value, headers as arrays of
byte values). A failed batch is retried a second apart until it succeeds; offsets are committed
to the group (ConsumerGroupID, or the pipe's name) after each handled batch.
"""

from __future__ import annotations

from typing import Any

from engine.errors import ServiceError

from .runner import PipeSource, source_unreadable

RETRY_PAUSE = 1.0


class KafkaSource(PipeSource):
    """Reads one pipe's topic and moves each batch through the pipeline."""

    async def run(self) -> None:
        """Read until cancelled (StopPipe, DeletePipe, engine shutdown)."""
        from engine.services.kafka.esm import kafka_event
        from engine.services.kafka.reader import TopicReader

        pipe = self.pipe
        kafka: Any = self.service.engine.service("kafka")
        cluster = kafka.cluster_for_arn(pipe.source)
        if cluster is None:
            await source_unreadable(
                self.service, pipe, ServiceError("NotFoundException", f"{pipe.source} not found")
            )
            return
        settings = pipe.source_settings
        reader = TopicReader(
            kafka,
            cluster,
            settings["TopicName"],
            settings.get("ConsumerGroupID") or pipe.name,
            settings.get("StartingPosition", "LATEST"),
        )
        try:
            while not cluster.closed:
                batch = await reader.fill(self.clock, pipe.batch_size, pipe.batching_window)
                records = []
                for key, items in kafka_event(cluster, batch)["records"].items():
                    for item in items:
                        records.append(
                            {
                                "eventSource": "aws:kafka",
                                "eventSourceArn": cluster.arn,
                                "eventSourceKey": key,
                                **item,
                            }
                        )
                trace_id = self.service.ids.trace_id(self.clock.now())
                while True:
                    ok, _ = await self.pipeline.handle(records, trace_id)
                    if ok:
                        break
                    self.service.emit("retried", pipe.arn, trace_id=trace_id)
                    await self.clock.sleep(RETRY_PAUSE)
                reader.commit(batch)
        finally:
            reader.close()
