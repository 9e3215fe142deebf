"""The lab commands beside the AWS operations: help, clock, watch, trace, load, chaos …"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..console import Console


def register_builtins(console: Console) -> None:
    """Register every built-in lab command on `console`."""
    from . import (
        analytics,
        basic,
        chaos,
        clock,
        delivery,
        describe,
        graphql,
        help,
        iam,
        kafka,
        load,
        memory,
        mq,
        mq_jms,
        observe,
        outbound,
        outbox,
        request,
        saas,
        serve,
        stacks,
        state,
        video,
        watch,
    )

    for module in (
        help,
        clock,
        delivery,
        watch,
        load,
        chaos,
        outbox,
        describe,
        state,
        request,
        serve,
        memory,
        basic,
        iam,  # `iam enforce` and `why`
        kafka,  # `kafka produce|consume|groups|lag`
        mq,  # words after the `mq` service: publish, consume, declare, bind …
        mq_jms,  # ActiveMQ words after `mq`: send, subscribe, received …
        outbound,  # `outbound allow|deny HOST`
        observe,  # `metrics`, `tail`, `logs tail`
        stacks,  # `deploy`, `export`
        saas,  # `saas APP list|get|update|create|delete`, `saas load APP`
        video,  # `video put|fragments|image` (Kinesis Video Streams)
        graphql,  # `graphql API 'query…'`, `graphql subscribe`, `graphql received`
        analytics,  # `analytics start|query|stop|results`
    ):
        module.register(console)
