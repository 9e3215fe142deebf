"""Completion and inline docs for half-typed lines: what can come next, best fuzzy matches first."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING

from engine.model import documentation, member_documentation, service_model

from .commands import (
    BINARY_FORMATS,
    GLOBAL_OPTIONS,
    OUTPUT_FORMATS,
    Argument,
    arguments,
    operation_table,
    type_label,
)
from .docs import first_sentence, html_to_text
from .resolver import expected_kind
from .result import Completion
from .tokens import Token, tokenize

if TYPE_CHECKING:
    from .console import Console

MAX_COMPLETIONS = 200
#: Lab commands whose argument is a resource name.
_RESOURCE_COMMANDS = ("watch", "describe", "load")


def fuzzy_score(prefix: str, candidate: str) -> tuple[int, int] | None:
    """How well `candidate` matches what was typed (lower is better), or None for no match.

    Prefix matches beat substring matches, which beat in-order subsequences (`rcvmsg`).
    """
    if not prefix:
        return (0, 0)
    p = prefix.lower()
    c = candidate.lower()
    if c.startswith(p):
        return (0, 0)  # keep the caller's order (required options first, then the rest)
    index = c.find(p)
    if index >= 0:
        return (1, index)
    gaps = 0
    pos = 0
    for ch in p:
        found = c.find(ch, pos)
        if found < 0:
            return None
        gaps += found - pos
        pos = found + 1
    return (2, gaps)


def _rank(prefix: str, start: int, items: Iterable[tuple[str, str, str]]) -> list[Completion]:
    """Completions for (text, display, meta) items matching `prefix`, best first."""
    scored = []
    for order, (text, display, meta) in enumerate(items):
        score = fuzzy_score(prefix, text)
        if score is not None:
            scored.append((score, order, Completion(text, start, display, meta)))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [item[2] for item in scored[:MAX_COMPLETIONS]]


@cache
def _operation_items(service: str) -> tuple[tuple[str, str, str], ...]:
    items = []
    for cli, op in sorted(operation_table(service).items()):
        items.append((cli, cli, first_sentence(documentation(service, op), 90)))
    return tuple(items)


@cache
def _service_meta(service: str) -> str:
    return service_model(service).metadata.get("serviceFullName", service)


def _option_meta(service: str, operation: str, argument: Argument) -> str:
    kind = "flag" if argument.is_flag else type_label(argument.shape)
    doc = first_sentence(member_documentation(service, operation, argument.member), 80)
    prefix = "required · " if argument.required else ""
    return f"{prefix}{kind}" + (f" — {doc}" if doc else "")


def _split(text: str, cursor: int) -> tuple[list[Token], str, int]:
    """The finished tokens before the cursor, the word being typed and where it starts."""
    before = text[:cursor]
    tokens = tokenize(before)
    if tokens and (not tokens[-1].closed or tokens[-1].end == len(before)):
        current = tokens[-1]
        return tokens[:-1], current.value, current.start
    return tokens, "", cursor


def _resource_items(console: Console, kind: str | None) -> list[tuple[str, str, str]]:
    return [
        (name, name, f"{node_kind} ({service})")
        for name, node_kind, service in console.resource_names()
        if kind is None or node_kind == kind
    ]


def complete(console: Console, text: str, cursor: int) -> list[Completion]:
    """What can be typed at `cursor`: services, operations, options, values, resource names."""
    done, prefix, start = _split(text, cursor)
    if done and done[0].value == "aws":
        done = done[1:]
    if not done:
        items = [(s, s, _service_meta(s)) for s in console.services]
        items += [
            (c.name, c.name, c.summary.partition(" — ")[2] or c.summary)
            for c in console.commands.values()
        ]
        return _rank(prefix, start, items)
    head = done[0].value
    if head in console.commands:
        return _rank(prefix, start, _lab_items(console, head, [t.value for t in done[1:]]))
    if len(done) > 1 and f"{head} {done[1].value}" in console.commands:  # `kafka produce …`
        sub = f"{head} {done[1].value}"
        return _rank(prefix, start, _lab_items(console, sub, [t.value for t in done[2:]]))
    if head not in console.services:
        return []
    extra = console.subcommands.get(head, {})
    if len(done) == 1:
        words = [(w, w, c.summary.partition(" — ")[0]) for w, c in extra.items()]
        words += [
            (c.name.split()[1], c.name.split()[1], "lab command")
            for c in console.commands.values()
            if c.name.startswith(f"{head} ")
        ]
        return _rank(prefix, start, [*words, *_operation_items(head)])
    if done[1].value in extra:
        complete_words = getattr(extra[done[1].value].handler, "complete", None)
        if complete_words is None:
            return []
        return _rank(prefix, start, complete_words(console, [t.value for t in done[2:]]))
    operation = operation_table(head).get(done[1].value)
    if operation is None:
        return []
    options = arguments(head, operation)
    last_option: str | None = None
    words_after = 0
    used: set[str] = set()
    for token in done[2:]:
        if token.value.startswith("--") and not token.quoted:
            last_option = token.value
            words_after = 0
            argument = options.get(last_option)
            used.add(argument.member if argument else last_option)
        else:
            words_after += 1
    if not prefix.startswith("-") and last_option is not None:
        values = _value_items(console, options, last_option, words_after)
        if values is not None:
            return _rank(prefix, start, values)
    items = []
    ordered = sorted(options.values(), key=lambda a: (not a.required, a.negated))
    for argument in ordered:
        if argument.member in used:
            continue
        items.append(
            (argument.cli_name, argument.cli_name, _option_meta(head, operation, argument))
        )
    for name, what in GLOBAL_OPTIONS.items():
        if name not in used:
            items.append((name, name, what))
    return _rank(prefix, start, items)


def _value_items(
    console: Console, options: dict[str, Argument], option: str, words_after: int
) -> list[tuple[str, str, str]] | None:
    """Values for `option`, or None when the next word should be another option."""
    if option == "--output":
        return [(f, f, "output format") for f in OUTPUT_FORMATS] if words_after == 0 else None
    if option == "--cli-binary-format":
        return [(f, f, "blob input format") for f in BINARY_FORMATS] if words_after == 0 else None
    if option in GLOBAL_OPTIONS:
        return [] if words_after == 0 else None
    argument = options.get(option)
    if argument is None or argument.is_flag:
        return None
    if words_after > 0 and not argument.takes_many:
        return None
    shape = argument.shape.member if argument.takes_many else argument.shape
    items: list[tuple[str, str, str]] = []
    if shape.type_name == "string" and shape.enum:
        items = [(value, value, argument.member) for value in shape.enum]
    elif shape.type_name == "boolean":
        items = [("true", "true", "boolean"), ("false", "false", "boolean")]
    else:
        kind = expected_kind(argument.member)
        if kind is not False:
            items = _resource_items(console, kind)  # type: ignore[arg-type]
    if words_after > 0:  # a list takes more values, or the next option
        return items or None
    return items


def _lab_items(console: Console, command: str, args: list[str]) -> list[tuple[str, str, str]]:
    if command == "help":
        if not args:
            items = [(s, s, _service_meta(s)) for s in console.services]
            return items + [(c, c, "lab command") for c in console.commands]
        if len(args) == 1 and args[0] in console.services:
            return list(_operation_items(args[0]))
        return []
    if command in _RESOURCE_COMMANDS and not args:
        return _resource_items(console, None) + [
            (w, w, command) for w in console.commands[command].words
        ]
    if command == "chaos" and args and args[-1] == "--resource":
        return _resource_items(console, None)
    if command == "trace" and not args:
        seen: dict[str, str] = {}
        for event in console.recorder.recent(200):
            if event.message_id and event.message_id not in seen:
                seen[event.message_id] = f"{event.kind} {event.resource.rsplit(':', 1)[-1]}"
        return [(ident, ident, meta) for ident, meta in reversed(seen.items())]
    if command.startswith("kafka "):
        from .lab.kafka import completions

        return completions(console, command, args)
    if command == "saas":
        from .lab.saas import completions as saas_completions

        return saas_completions(console, args)
    if command == "graphql" or command == "graphql subscribe":
        from .lab.graphql import completions as graphql_completions

        return graphql_completions(console, args)
    if command.startswith("analytics "):
        from .lab.analytics import completions as analytics_completions

        return analytics_completions(console, command, args)
    words = console.commands[command].words
    if command == "clock" and args:
        return []
    return [(w, w, command) for w in words if w not in args]


def describe_at(console: Console, text: str, cursor: int) -> str | None:
    """One paragraph about the service, operation, option or lab command under the cursor."""
    tokens = tokenize(text)
    if tokens and tokens[0].value == "aws":
        tokens = tokens[1:]
    if not tokens:
        return None
    under = 0
    for index, token in enumerate(tokens):
        if token.start <= cursor:
            under = index
    head = tokens[0].value
    if head in console.commands:
        return console.commands[head].summary
    if head not in console.services:
        return None
    if under == 0 or len(tokens) == 1:
        doc = first_sentence(documentation(head), 300)
        return f"{head} — {_service_meta(head)}. {doc}".strip()
    operation = operation_table(head).get(tokens[1].value)
    if operation is None:
        return None
    options = arguments(head, operation)
    for token in reversed(tokens[2 : under + 1]):
        if token.value.startswith("--") and not token.quoted:
            argument = options.get(token.value)
            if argument is not None:
                member_doc = member_documentation(head, operation, argument.member)
                doc = html_to_text(member_doc).split("\n\n", 1)[0]
                need = "required" if argument.required else "optional"
                kind = "flag" if argument.is_flag else type_label(argument.shape)
                return _clip(f"{argument.cli_name} ({kind}, {need}): {doc}")
            if token.value in GLOBAL_OPTIONS:
                return f"{token.value}: {GLOBAL_OPTIONS[token.value]}"
            break
    doc = html_to_text(documentation(head, operation)).split("\n\n", 1)[0]
    required = " ".join(a.cli_name for a in options.values() if a.required)
    needs = f" Requires: {required}." if required else ""
    return _clip(f"{head} {tokens[1].value}: {doc}{needs}")


def _clip(text: str, limit: int = 500) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
