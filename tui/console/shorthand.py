"""The AWS CLI's shorthand syntax: `Key=Value,Key2=[a,b],Key3={A=1}` parsed into plain data.

The grammar follows the AWS CLI's own parser: a value after `=` is a csv list, an explicit
`[list]` or a `{hash}`; `a=b,c` is `{"a": ["b", "c"]}` and `a=b,c=d` is two keys. The result
holds only strings, lists and dicts; converting to the model's types happens afterwards.
"""

from __future__ import annotations

from typing import Any

_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.#/:")


class ShorthandError(ValueError):
    """The text is not valid shorthand; the message says what was expected and where."""


class _Parser:
    """Recursive descent over one shorthand string."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0

    # -- helpers ---------------------------------------------------------------------
    def _eof(self) -> bool:
        return self.i >= len(self.text)

    def _peek(self) -> str:
        return self.text[self.i] if self.i < len(self.text) else ""

    def _skip_space(self) -> None:
        while self.i < len(self.text) and self.text[self.i] in " \t\r\n":
            self.i += 1

    def _fail(self, expected: str) -> ShorthandError:
        received = repr(self.text[self.i]) if not self._eof() else "EOF"
        return ShorthandError(
            f"Expected: {expected}, received: {received} for input: {self.text} "
            f"(at character {self.i + 1})"
        )

    def _expect(self, char: str) -> None:
        self._skip_space()
        if self._peek() != char:
            raise self._fail(f"'{char}'")
        self.i += 1

    # -- grammar -----------------------------------------------------------------------
    def parameter(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        while True:
            key, value = self._keyval()
            if key in result:
                raise ShorthandError(
                    f'Second instance of key "{key}" encountered for input: {self.text}. '
                    'This is often because there is a preceding "," instead of a space.'
                )
            result[key] = value
            self._skip_space()
            if self._eof():
                return result
            self._expect(",")

    def _key(self) -> str:
        self._skip_space()
        start = self.i
        while self.i < len(self.text) and self.text[self.i] in _KEY_CHARS:
            self.i += 1
        if self.i == start:
            raise self._fail("a key name")
        return self.text[start : self.i]

    def _keyval(self) -> tuple[str, Any]:
        key = self._key()
        self._expect("=")
        return key, self._values()

    def _values(self) -> Any:
        self._skip_space()
        if self._eof():
            return ""
        if self._peek() == "[":
            return self._explicit_list()
        if self._peek() == "{":
            return self._hash()
        return self._csv_value()

    def _csv_value(self) -> Any:
        first = self._first_value(nested=False)
        self._skip_space()
        if self._peek() != ",":
            return first
        items = [first]
        while self._peek() == ",":
            comma = self.i
            self.i += 1
            self._skip_space()
            second = self._second_value()
            if second is None:  # `a=b,c=d`: the comma starts the next key
                self.i = comma
                break
            items.append(second)
            self._skip_space()
        return items if len(items) > 1 else first

    def _second_value(self) -> str | None:
        """A csv-list item, or None when what follows is really the next `key=`."""
        if self._peek() in ("'", '"'):
            return self._quoted()
        start = self.i
        chars: list[str] = []
        while not self._eof():
            ch = self.text[self.i]
            if ch == "\\" and self.text[self.i + 1 : self.i + 2] == ",":
                chars.append(",")
                self.i += 2
                continue
            if ch == "=":
                self.i = start
                return None
            if ch == ",":
                break
            chars.append(ch)
            self.i += 1
        return "".join(chars).rstrip()

    def _first_value(self, *, nested: bool) -> str:
        if self._peek() in ("'", '"'):
            return self._quoted()
        stops = ",]}" if nested else ","
        chars: list[str] = []
        while not self._eof():
            ch = self.text[self.i]
            if ch == "\\" and self.text[self.i + 1 : self.i + 2] == ",":
                chars.append(",")
                self.i += 2
                continue
            if ch in stops:
                break
            chars.append(ch)
            self.i += 1
        return "".join(chars).rstrip()

    def _quoted(self) -> str:
        quote = self.text[self.i]
        self.i += 1
        chars: list[str] = []
        while True:
            if self._eof():
                raise self._fail(f"closing {quote}")
            ch = self.text[self.i]
            if ch == "\\" and self.text[self.i + 1 : self.i + 2] in (quote, "\\"):
                chars.append(self.text[self.i + 1])
                self.i += 2
                continue
            if ch == quote:
                self.i += 1
                return "".join(chars)
            chars.append(ch)
            self.i += 1

    def _explicit_list(self) -> list[Any]:
        self._expect("[")
        items: list[Any] = []
        self._skip_space()
        while self._peek() != "]":
            if self._eof():
                raise self._fail("']'")
            items.append(self._explicit_value())
            self._skip_space()
            if self._peek() != "]":
                self._expect(",")
                self._skip_space()
        self.i += 1
        return items

    def _explicit_value(self) -> Any:
        if self._peek() == "[":
            return self._explicit_list()
        if self._peek() == "{":
            return self._hash()
        return self._first_value(nested=True)

    def _hash(self) -> dict[str, Any]:
        self._expect("{")
        result: dict[str, Any] = {}
        self._skip_space()
        while self._peek() != "}":
            if self._eof():
                raise self._fail("'}'")
            key = self._key()
            self._expect("=")
            self._skip_space()
            result[key] = self._explicit_value()
            self._skip_space()
            if self._peek() != "}":
                self._expect(",")
                self._skip_space()
        self.i += 1
        return result


def parse_shorthand(text: str) -> dict[str, Any]:
    """Parse one shorthand argument (`Key=Value,...`) into a dict of strings, lists and dicts."""
    return _Parser(text).parameter()


def parse_explicit_list(text: str) -> list[Any]:
    """Parse a bracketed shorthand list such as `[a,b]` (the console's list-of-scalars form)."""
    parser = _Parser(text)
    items = parser._explicit_list()
    parser._skip_space()
    if not parser._eof():
        raise parser._fail("end of input")
    return items
