"""S3 PutObject throughput with the checksums S3 now stores, beside the MD5 (ETag) floor.

Run: `python benchmarks/s3_checksums.py [--quick]`. Prints one JSON object: in-process PutObject
rates for 1 KiB and 1 MiB bodies with the default CRC64NVME and with a sent SHA256 (verified
and stored), and the floor — hashing the body for its ETag alone. Best of ROUNDS rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import Engine, VirtualClock  # noqa: E402
from engine.services.s3 import checksums  # noqa: E402

ROUNDS = 5


async def _puts(body: bytes, count: int, algorithm: str | None) -> float:
    async with Engine(clock=VirtualClock()) as eng:
        s3 = eng.client("s3")
        await s3.create_bucket(Bucket="bench-bucket")
        extra = {}
        if algorithm:
            extra = {checksums.ALGORITHMS[algorithm][0]: checksums.compute(algorithm, body)}
        start = time.perf_counter()
        for i in range(count):
            await s3.put_object(Bucket="bench-bucket", Key=f"k{i % 100}", Body=body, **extra)
        return count / (time.perf_counter() - start)


def _md5_floor(body: bytes, count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        hashlib.md5(body).hexdigest()
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    result: dict[str, object] = {"rounds": ROUNDS}
    for label, size, count in (("1KiB", 1024, 2000), ("1MiB", 1024 * 1024, 100)):
        if args.quick:
            count //= 10
        body = b"x" * size
        result[f"put_{label}_default_crc64nvme_per_s"] = round(
            max(asyncio.run(_puts(body, count, None)) for _ in range(ROUNDS))
        )
        result[f"put_{label}_sent_sha256_per_s"] = round(
            max(asyncio.run(_puts(body, count, "SHA256")) for _ in range(ROUNDS))
        )
        result[f"floor_md5_only_{label}_per_s"] = round(
            max(_md5_floor(body, count) for _ in range(ROUNDS))
        )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
