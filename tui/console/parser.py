"""Parse one console line into a service call or a lab command, with AWS CLI-style errors."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from engine.model import operation_model

from .commands import (
    BINARY_FORMATS,
    GLOBAL_OPTIONS,
    OUTPUT_FORMATS,
    SERVICE_ALIASES,
    Argument,
    arguments,
    operation_table,
    required_arguments,
)
from .tokens import Token, tokenize
from .values import ArgumentError, convert_argument, read_param_file, shape_value

#: AWS CLI globals accepted for copy-paste convenience and ignored (one lab, one region).
IGNORED_VALUE_OPTIONS = ("--region", "--profile", "--endpoint-url")
IGNORED_FLAGS = ("--no-cli-pager", "--no-paginate", "--debug", "--no-verify-ssl")
#: Lab commands that take the rest of the line verbatim.
RAW_COMMANDS = ("expect",)


class CommandError(ValueError):
    """The line cannot run; the message is one line saying what is wrong."""


def suggest(word: str, choices: Iterable[str]) -> str:
    """` (did you mean X?)` for the closest choice to `word`, or an empty string."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


@dataclass(slots=True)
class ServiceCall:
    """An AWS operation ready to run: the model's names and converted parameters."""

    service: str
    operation: str  # the model's name, e.g. ReceiveMessage
    cli_operation: str  # receive-message
    params: dict[str, Any]
    query: str | None = None
    output: str | None = None
    binary_format: str = "base64"
    #: Where a streaming result (Lambda's Payload, S3's Body) goes, as the AWS CLI's `outfile`.
    outfile: str | None = None


@dataclass(slots=True)
class LabCall:
    """A lab command (`clock advance 30s`) and its words."""

    name: str
    args: list[str] = field(default_factory=list)


def parse(
    line: str, services: Iterable[str], lab_commands: Iterable[str]
) -> ServiceCall | LabCall | None:
    """Parse `line`; None for a blank line or a comment; raises CommandError when it is wrong."""
    tokens = tokenize(line)
    if not tokens:
        return None
    for token in tokens:
        if not token.closed:
            raise CommandError(f"Unterminated quote in: {line[token.start :].strip()}")
    head = tokens[0].value
    if head == "aws" and len(tokens) > 1:  # commands pasted from AWS docs keep working
        tokens = tokens[1:]
        head = tokens[0].value
    services = list(services)
    lab = list(lab_commands)
    if head in RAW_COMMANDS and head in lab:  # JMESPath keeps its own quotes
        return LabCall(head, [line[tokens[0].end :].strip()])
    head = SERVICE_ALIASES.get(head, head)
    if len(tokens) > 1 and f"{head} {tokens[1].value}" in lab:  # `iam enforce on`
        return LabCall(f"{head} {tokens[1].value}", [t.value for t in tokens[2:]])
    if head in lab:
        return LabCall(head, [t.value for t in tokens[1:]])
    if head not in services:
        raise CommandError(
            f"Invalid choice: '{head}' is not a service or lab command{suggest(head, [*services, *lab])}"
            " — try: help"
        )
    return parse_service_call(head, tokens[1:])


# `aws s3 …` high-level commands and the s3api operations that do their work.
_S3_HIGH_LEVEL = {
    "mb": "s3 create-bucket --bucket NAME",
    "rb": "s3 delete-bucket --bucket NAME",
    "ls": "s3 list-buckets, or s3 list-objects-v2 --bucket NAME",
    "cp": "s3 put-object --bucket NAME --key KEY --body FILE, or s3 get-object … OUTFILE",
    "mv": "s3 copy-object, then s3 delete-object",
    "rm": "s3 delete-object --bucket NAME --key KEY",
    "sync": "s3 put-object for each file",
    "presign": "s3 get-object --bucket NAME --key KEY OUTFILE",
}


def parse_service_call(service: str, tokens: list[Token]) -> ServiceCall | LabCall:
    """Parse `OPERATION --option value …` for `service`."""
    table = operation_table(service)
    if not tokens:
        raise CommandError(f"Missing operation for '{service}' — try: help {service}")
    cli_op = tokens[0].value
    if cli_op == "help":
        return LabCall("help", [service])
    if service == "logs" and cli_op == "tail":  # the AWS CLI's own `aws logs tail`
        return LabCall("tail", [t.value for t in tokens[1:]])
    operation = table.get(cli_op)
    if operation is None and service == "s3" and cli_op in _S3_HIGH_LEVEL:
        raise CommandError(
            f"Invalid choice: '{cli_op}' is one of the AWS CLI's high-level `aws s3` commands, which"
            f" the lab does not emulate; s3 speaks the s3api operations — try: {_S3_HIGH_LEVEL[cli_op]}"
        )
    if operation is None:
        raise CommandError(
            f"Invalid choice: '{cli_op}' is not an operation of {service}{suggest(cli_op, table)}"
        )
    rest = tokens[1:]
    if rest and rest[-1].value == "help" and not rest[-1].quoted:
        return LabCall("help", [service, cli_op])
    options = arguments(service, operation)
    call = ServiceCall(service, operation, cli_op, {})
    if operation_model(service, operation).has_streaming_output:
        rest, call.outfile = _take_outfile(rest, options)
    groups = _group_options(rest, options)
    explicit: dict[str, Any] = {}
    input_json: str | None = None
    for name, words in groups:
        if name in IGNORED_FLAGS:
            if words:
                raise CommandError(f"Unknown options: {' '.join(words)}")
            continue
        if name in GLOBAL_OPTIONS or name in IGNORED_VALUE_OPTIONS:
            if len(words) != 1:
                raise CommandError(f"argument {name}: expected one argument")
            value = words[0]
            if name == "--query":
                call.query = _checked_query(value)
            elif name == "--output":
                if value not in OUTPUT_FORMATS:
                    raise CommandError(
                        f"argument --output: Invalid choice: '{value}', valid choices are: "
                        f"{', '.join(OUTPUT_FORMATS)}{suggest(value, OUTPUT_FORMATS)}"
                    )
                call.output = value
            elif name == "--cli-binary-format":
                if value not in BINARY_FORMATS:
                    raise CommandError(
                        f"argument --cli-binary-format: Invalid choice: '{value}', valid choices "
                        f"are: {', '.join(BINARY_FORMATS)}"
                    )
                call.binary_format = value
            elif name == "--cli-input-json":
                input_json = value
            continue
        argument = options[name]
        if argument.is_flag:
            if words:
                raise CommandError(f"Unknown options: {' '.join(words)}")
            explicit[argument.member] = not argument.negated
            continue
        if not words:
            raise CommandError(f"argument {name}: expected one argument")
        if not argument.takes_many and len(words) > 1:
            raise CommandError(f"Unknown options: {' '.join(words[1:])}")
        explicit[argument.member] = (argument, words)
    params: dict[str, Any] = {}
    try:
        if input_json is not None:
            params.update(_input_json(service, operation, input_json, call.binary_format))
        # Nested options (dotted members) go last, into whatever their outer option gave.
        for member, item in sorted(explicit.items(), key=lambda entry: "." in entry[0]):
            if isinstance(item, tuple):
                argument, words = item
                value = convert_argument(argument, words, call.binary_format)
            else:
                value = item
            outer, dot, inner = member.partition(".")
            if dot:  # an option the AWS CLI adds for a nested member, e.g. --zip-file
                nested = params.setdefault(outer, {})
                if not isinstance(nested, dict) or inner in nested:
                    raise CommandError(f"{outer}.{inner} is given twice; keep one of the options")
                nested[inner] = value
            else:
                params[member] = value
    except ArgumentError as error:
        raise CommandError(str(error)) from None
    missing = [
        cli for cli in required_arguments(service, operation) if options[cli].member not in params
    ]
    if missing:
        raise CommandError(f"the following arguments are required: {', '.join(missing)}")
    call.params = params
    return call


def _group_options(
    tokens: list[Token], options: dict[str, Argument]
) -> list[tuple[str, list[str]]]:
    """Split the words after the operation into (option, its words), checking option names."""
    groups: list[tuple[str, list[str]]] = []
    known = [*options, *GLOBAL_OPTIONS]
    for token in tokens:
        if token.value.startswith("--") and not token.quoted and len(token.value) > 2:
            name, eq, inline = token.value.partition("=")
            if (
                name not in options
                and name not in GLOBAL_OPTIONS
                and name not in IGNORED_VALUE_OPTIONS
                and name not in IGNORED_FLAGS
            ):
                raise CommandError(f"Unknown options: {name}{suggest(name, known)}")
            groups.append((name, [inline] if eq else []))
        elif not groups:
            raise CommandError(f"Unknown options: {token.value} (options start with --; try: help)")
        else:
            groups[-1][1].append(token.value)
    return groups


def _take_outfile(
    tokens: list[Token], options: dict[str, Argument]
) -> tuple[list[Token], str | None]:
    """Split off the AWS CLI's positional `outfile` (a bare word no option takes)."""
    expecting = 0  # how many words the previous option still takes
    for index, token in enumerate(tokens):
        if token.value.startswith("--") and not token.quoted:
            argument = options.get(token.value.partition("=")[0])
            flag = argument is not None and argument.is_flag or token.value in IGNORED_FLAGS
            expecting = 0 if flag or "=" in token.value else 1
        elif expecting:
            expecting = 0
        else:
            return tokens[:index] + tokens[index + 1 :], token.value
    return tokens, None


def _checked_query(expression: str) -> str:
    import jmespath
    from jmespath.exceptions import JMESPathError

    try:
        jmespath.compile(expression)
    except JMESPathError as error:
        raise CommandError(f"Bad value for --query {expression}: {_one_line(str(error))}") from None
    return expression


def _input_json(service: str, operation: str, text: str, binary_format: str) -> dict[str, Any]:
    loaded = read_param_file(text, "--cli-input-json")
    if isinstance(loaded, bytes):
        loaded = loaded.decode("utf-8", "replace")
    try:
        data = json.loads(loaded)
    except ValueError as error:
        raise ArgumentError(
            f"Error parsing parameter '--cli-input-json': Invalid JSON: {error}"
        ) from None
    if not isinstance(data, dict):
        raise ArgumentError("Error parsing parameter '--cli-input-json': expected a JSON object")
    shape = operation_model(service, operation).input_shape
    return shape_value(shape, data, "--cli-input-json", binary_format) if shape else data


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in text.splitlines() if part.strip())
