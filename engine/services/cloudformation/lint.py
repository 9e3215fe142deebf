"""cfn-lint before deploy: errors stop the deploy as AWS would reject it, warnings are kept."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any

#: Warnings that say nothing about the template a learner wrote: W3005 (redundant DependsOn),
#: W3037 (IAM actions newer than cfn-lint's list, which SAM's policy templates use).
_IGNORED = ("W3005", "W3037")

#: cfn-lint rules stricter than CloudFormation itself: AWS deploys such templates.
_NOT_REJECTED_BY_AWS = frozenset(
    {
        "E0000",  # parse problems are reported by the service's own parser
        "E1001",  # top-level keys CloudFormation ignores
        "E3001",  # schema-level nitpicks on resource blocks
        "E3012",  # "5" for an integer: CloudFormation converts scalars
        "E6101",  # outputs that are not strings: AWS stringifies
        "E3031",  # patterns stricter than the service's own checks
        "E3030",  # enum values newer than cfn-lint's bundled schemas
        "E1152",  # AMIs / EC2 lookups the lab cannot make
        "E2520",
        "E3005",  # DependsOn to resources in a condition (AWS only warns at deploy)
        "E3037",  # duplicate list items AWS ignores
    }
)


@dataclass(slots=True)
class LintReport:
    """What cfn-lint found: errors that stop a deploy, warnings that are listed."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@cache
def _runner(region: str) -> Any:
    """cfn-lint's runner for `region`, its rules loaded once (loading them takes a second)."""
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    return Runner(ConfigMixIn(regions=[region], ignore_checks=list(_IGNORED)))


def lint_template(template: dict, region: str) -> LintReport:
    """Run cfn-lint over `template` (already parsed) in `region`."""
    from cfnlint.decode.decode import decode_str

    report = LintReport()
    try:
        decoded, errors = decode_str(json.dumps(template))
        matches = list(errors) if errors else list(_runner(region).validate_template(decoded))
    except Exception as error:  # cfn-lint's own failure must not stop a deploy
        report.warnings.append(f"cfn-lint could not run: {error}")
        return report
    for match in matches:
        rule = match.rule.id
        where = "/".join(str(part) for part in (match.path or []))
        text = f"[{rule}] {match.message}" + (f" at {where}" if where else "")
        if rule.startswith("E") and rule not in _NOT_REJECTED_BY_AWS:
            report.errors.append(text)
        else:
            report.warnings.append(text)
    return report
