"""Reading a JSON document a value at a time, with memory bounded by one value (a row), not
the file: how a backup (format 1, any JSON layout) is read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import IO, Any

from tracker.errors import InvalidInput

READ_CHARS = 1 << 20  # characters read from the file at a time
MAX_VALUE_CHARS = 1 << 28  # one JSON value (a row) larger than this: refuse the file
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class _Parser:
    """Walks a JSON document's structure token by token and decodes one value (a row) at a
    time from a buffer refilled from the stream: memory holds a chunk, never the file."""

    def __init__(self, stream: IO[str], source: str, start: str = "") -> None:
        self.source = source
        self._stream = stream
        self._buffer = start  # what was read from the stream already
        self._pos = 0
        self._dropped = 0  # characters consumed and dropped from the buffer's front
        self._eof = False

    def error(self, problem: str) -> InvalidInput:
        return InvalidInput(f"{self.source}: {problem} (at character "
                            f"{self._dropped + self._pos}); nothing was restored")

    def _more(self, at_least: int = 0) -> bool:
        if self._eof:
            return False
        data = self._stream.read(max(READ_CHARS, at_least))
        if not data:
            self._eof = True
            return False
        self._dropped += self._pos
        self._buffer = self._buffer[self._pos:] + data
        self._pos = 0
        return True

    def _grow(self) -> bool:
        pending = len(self._buffer) - self._pos
        if pending > MAX_VALUE_CHARS:
            raise self.error(f"a value longer than {MAX_VALUE_CHARS} characters")
        return self._more(at_least=pending)  # at least doubles: linear however long a row

    def peek(self) -> str:
        """The next non-blank character ('' at the end), not consumed."""
        while True:
            match = _WHITESPACE.match(self._buffer, self._pos)
            self._pos = match.end() if match else self._pos
            if self._pos < len(self._buffer):
                return self._buffer[self._pos]
            if not self._more():
                return ""

    def _take(self, char: str, what: str) -> None:
        found = self.peek()
        if found != char:
            raise self.error(f"expected {what}, found "
                             f"{'the end of the file (truncated?)' if not found else repr(found)}")
        self._pos += 1

    def value(self) -> Any:
        if not self.peek():
            raise self.error("the file ends too early (truncated?)")
        while True:
            try:
                value, end = _DECODER.raw_decode(self._buffer, self._pos)
            except RecursionError:
                raise self.error("a value nested too deeply (arrays or objects within "
                                 "thousands of others)") from None
            except json.JSONDecodeError as exc:
                if self._grow():
                    continue
                raise self.error(f"not valid JSON ({exc.msg}; truncated or corrupted?)") \
                    from None
            if end == len(self._buffer) and self._grow():
                continue  # a number may go on in the next read
            self._pos = end
            return value

    def members(self) -> Iterator[str]:
        """The keys of the object starting here; the caller reads each one's value."""
        self._take("{", "an object")
        if self.peek() == "}":
            self._pos += 1
            return
        while True:
            key = self.value()
            if not isinstance(key, str):
                raise self.error(f"expected a key, found {key!r}")
            self._take(":", "':'")
            yield key
            if self.peek() == ",":
                self._pos += 1
                continue
            self._take("}", "',' or '}'")
            return

    def items(self) -> Iterator[None]:
        """One step per item of the array starting here; the caller reads each item."""
        self._take("[", "an array")
        if self.peek() == "]":
            self._pos += 1
            return
        while True:
            yield None
            if self.peek() == ",":
                self._pos += 1
                continue
            self._take("]", "',' or ']'")
            return

    def end(self) -> None:
        if self.peek():
            raise self.error("unexpected data after the backup document")
