"""Content codings of answers, decoded within a size limit.

httpx decodes ``Content-Encoding`` with no bound on what one chunk inflates to: 590 bytes of
``gzip, gzip`` become 512 MiB at once. :class:`BoundedDecoder` decodes ``gzip`` and
``deflate`` (stacked in any order and number) chunk by chunk, and stops as soon as any stage
would produce more than the limit, so the memory an answer holds stays near the limit whatever
a board sends. The session reads raw bytes and decodes them here.
"""

from __future__ import annotations

import zlib
from typing import Final

import httpx

__all__ = [
    "ACCEPTED_CODINGS",
    "BoundedDecoder",
    "CodingError",
    "DecodedTooLarge",
    "read_decoded",
]

#: What the session tells boards it can decode (``Accept-Encoding``).
ACCEPTED_CODINGS: Final = "gzip, deflate"

_IDENTITY: Final = frozenset({"", "identity"})
_GZIP: Final = frozenset({"gzip", "x-gzip"})


class CodingError(ValueError):
    """The answer's content coding is unknown, or its bytes do not decode."""


class DecodedTooLarge(ValueError):
    """Decoding the answer would produce more than the limit."""


class _Stage:
    """One coding's decompressor, producing at most ``limit + 1`` bytes in all."""

    def __init__(self, coding: str, limit: int) -> None:
        self.coding = coding
        self.budget = limit + 1
        self.first = True
        self.inflate = zlib.decompressobj(
            zlib.MAX_WBITS | 16 if coding in _GZIP else zlib.MAX_WBITS
        )

    def feed(self, data: bytes) -> bytes:
        if not data:
            return b""
        try:
            out = self.inflate.decompress(data, self.budget)
        except zlib.error as exc:
            if not (self.first and self.coding == "deflate"):
                raise CodingError(f"{self.coding} data that does not decode ({exc})") from None
            # "deflate" is often sent raw, without the zlib header it should have.
            self.inflate = zlib.decompressobj(-zlib.MAX_WBITS)
            self.first = False
            return self.feed(data)
        self.first = False
        self.budget -= len(out)
        if self.inflate.unconsumed_tail or self.budget <= 0:
            raise DecodedTooLarge(self.coding)
        return out

    def finish(self) -> bytes:
        if not self.inflate.eof and not self.first:
            raise CodingError(f"{self.coding} data that ends early")
        return b""


class BoundedDecoder:
    """Decodes an answer labelled with ``content_encoding`` (the header's value, or ``None``),
    producing at most ``limit`` bytes; more raises :class:`DecodedTooLarge`, an unknown coding
    or bytes that do not decode :class:`CodingError`."""

    def __init__(self, content_encoding: str | None, limit: int) -> None:
        codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
        codings = [c for c in codings if c not in _IDENTITY]
        unknown = [c for c in codings if c not in _GZIP and c != "deflate"]
        if unknown:
            raise CodingError(f"content coding {unknown[0]!r}, which this client does not decode")
        # The last coding listed was applied last, so it is undone first.
        self._stages = [_Stage(coding, limit) for coding in reversed(codings)]

    @property
    def identity(self) -> bool:
        """Whether the answer is not encoded at all (its bytes pass through)."""
        return not self._stages

    def decode(self, data: bytes) -> bytes:
        """The decoded bytes of the next raw chunk."""
        for stage in self._stages:
            data = stage.feed(data)
        return data

    def finish(self) -> None:
        """Check that every stage's data ended where it should."""
        for stage in self._stages:
            stage.finish()


async def read_decoded(
    response: httpx.Response, limit: int, content_encoding: str | None = ""
) -> bytes:
    """A streamed answer's body, decoded, never holding much more than ``limit`` bytes.

    ``content_encoding`` is the answer's ``Content-Encoding`` when the caller has read it
    already (``None``: it has none). More than ``limit`` bytes, on the wire or decoded,
    raises :class:`DecodedTooLarge`; a coding that is unknown or does not decode raises
    :class:`CodingError`.
    """
    if content_encoding == "":
        content_encoding = response.headers.get("Content-Encoding")
    decoder = BoundedDecoder(content_encoding, limit)
    parts: list[bytes] = []
    size = raw_size = 0
    async for raw in response.aiter_raw():
        raw_size += len(raw)
        chunk = raw if decoder.identity else decoder.decode(raw)
        size += len(chunk)
        if size > limit or raw_size > limit:
            raise DecodedTooLarge("the answer")
        parts.append(chunk)
    decoder.finish()
    return parts[0] if len(parts) == 1 else b"".join(parts)
