"""The `deploy` and `export` lab commands, and `pipework deploy` / `pipework export` from the shell."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.timeout(60)
ROOT = Path(__file__).resolve().parents[2]

TEMPLATE = """
Parameters:
  Suffix: {Type: String, Default: one}
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties: {QueueName: !Sub "jobs-${Suffix}"}
Outputs:
  Url: {Value: !Ref Queue}
"""


async def test_deploy_shows_events_outputs_and_updates(run, tmp_path) -> None:
    path = tmp_path / "jobs.yaml"
    path.write_text(TEMPLATE)
    result = await run(f"deploy {path} --no-lint")
    assert result.ok, result.error
    assert result.value["StackName"] == "jobs" and result.value["StackStatus"] == "CREATE_COMPLETE"
    assert result.value["Outputs"][0]["OutputValue"].endswith("/jobs-one")
    result = await run(f"deploy {path} --no-lint --parameter-overrides Suffix=two")
    assert result.ok and result.value["StackStatus"] == "UPDATE_COMPLETE"
    result = await run("sqs list-queues")
    assert [u.rsplit("/", 1)[1] for u in result.value["QueueUrls"]] == ["jobs-two"]
    result = await run(f"deploy {path} --no-lint --parameter-overrides Suffix=two")
    assert not result.ok and "No updates are to be performed." in result.error


async def test_deploy_bad_input_is_one_clear_line(run, tmp_path) -> None:
    result = await run("deploy /no/such/file.yaml")
    assert not result.ok and "cannot read /no/such/file.yaml" in result.error
    broken = tmp_path / "broken.yaml"
    broken.write_text("Resources: [oops")
    result = await run(f"deploy {broken}")
    assert not result.ok and result.error.endswith("Template format error: YAML not well-formed.")
    result = await run(f"deploy {broken} --parameter-overrides nonsense")
    assert not result.ok and "KEY=VALUE" in result.error
    failing = tmp_path / "failing.yaml"
    failing.write_text(
        "Resources:\n  Q: {Type: AWS::SQS::Queue, Properties: {DelaySeconds: 9999}}\n"
    )
    result = await run(f"deploy {failing} --no-lint")
    assert not result.ok and "is ROLLBACK_COMPLETE" in result.error


async def test_export_writes_a_template_and_code_folder(run, tmp_path) -> None:
    assert (await run("sqs create-queue --queue-name exported")).ok
    out = tmp_path / "lab.yaml"
    result = await run(f"export --format cloudformation --output-file {out}")
    assert result.ok, result.error
    template = yaml.safe_load(out.read_text())
    assert template["Resources"]["ExportedQueue"]["Properties"]["QueueName"] == "exported"
    result = await run("export --format nope")
    assert not result.ok and "invalid choice" in result.error


def _pipework(*args: str, cwd: Path, data: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if data is not None:
        env["PIPEWORK_DATA_DIR"] = str(data)
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=50,
    )


def test_pipework_deploy_into_a_lab_file_then_export(tmp_path) -> None:
    (tmp_path / "jobs.yaml").write_text(TEMPLATE)
    done = _pipework("deploy", "jobs.yaml", "--no-lint", "--lab-file", "lab.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "jobs-one" in done.stdout
    done = _pipework(
        "export",
        "--lab-file",
        "lab.json",
        "--format",
        "cloudformation",
        "--output-file",
        "out.yaml",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    template = yaml.safe_load((tmp_path / "out.yaml").read_text())
    assert template["Resources"]["JobsOneQueue"]["Properties"] == {"QueueName": "jobs-one"}
    done = _pipework("deploy", "missing.yaml", cwd=tmp_path)
    assert done.returncode == 1 and "cannot read missing.yaml" in done.stderr


def test_pipework_deploy_into_a_kept_lab_then_export_it(tmp_path) -> None:
    (tmp_path / "jobs.yaml").write_text(TEMPLATE)
    env_dir = tmp_path / "data"
    done = _pipework(
        "--lab", "stack-lab", "deploy", "jobs.yaml", "--no-lint", cwd=tmp_path, data=env_dir
    )
    assert done.returncode == 0, done.stderr
    done = _pipework(
        "--lab", "stack-lab", "export", "--format", "cloudformation", cwd=tmp_path, data=env_dir
    )
    assert done.returncode == 0, done.stderr
    assert "jobs-one" in done.stdout
