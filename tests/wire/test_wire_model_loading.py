"""A served lab loads botocore's model of a service only when that service is called."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import asyncio, json, boto3
    from botocore.config import Config
    from engine import Engine, RealClock
    from engine.model import service_model
    from engine.wire import WireServer

    async def main():
        async with Engine(clock=RealClock()) as engine:
            server = WireServer(engine, "127.0.0.1", 0)
            url = await server.start()
            try:
                def calls():
                    session = boto3.session.Session(
                        aws_access_key_id="AKIALAB", aws_secret_access_key="x",
                        region_name="us-east-1",
                    )
                    config = Config(retries={"max_attempts": 1})
                    session.client("sqs", endpoint_url=url, config=config).list_queues()
                    session.client("logs", endpoint_url=url, config=config).describe_log_groups()
                await asyncio.to_thread(calls)
            finally:
                await server.stop()
        # A cache hit now means the lab had already loaded that service's whole model.
        print(json.dumps([name for name in NAMES if _loaded(name)]))

    def _loaded(name):
        hits = service_model.cache_info().hits
        service_model(name)
        return service_model.cache_info().hits > hits

    import engine.services
    NAMES = sorted(engine.services.SERVICE_MODULES)
    asyncio.run(main())
    """
)


def test_routing_a_request_loads_only_the_called_services_models() -> None:
    # Routing reads every service's target prefix and signing name; reading those off the
    # model files (not the whole models) keeps ~15 MB of unused models out of a serving lab.
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=50,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    loaded = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert {"sqs", "logs"} <= loaded
    assert "dynamodb" not in loaded and "stepfunctions" not in loaded and "s3" not in loaded
