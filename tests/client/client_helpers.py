"""Shared pieces of the client tests: recorded answers and how to build and inspect traffic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import httpx
import respx

from tests.shared_data import REST_API_VERSION

FIXTURES: Final = Path(__file__).resolve().parent / "fixtures"


def load(name: str) -> Any:
    """A recorded device answer from ``fixtures/<name>.json``."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


def reply(
    data: Any = None,
    *,
    status: int = 200,
    version: str | None = REST_API_VERSION,
    content: bytes | None = None,
    content_type: str | None = None,
) -> httpx.Response:
    """An answer as the device gives it: JSON (or raw content) with a REST-API-Version header."""
    headers: dict[str, str] = {}
    if version is not None:
        headers["REST-API-Version"] = version
    if content_type is not None:
        headers["Content-Type"] = content_type
    if content is not None:
        return httpx.Response(status, content=content, headers=headers)
    if data is None:
        return httpx.Response(status, content=b"", headers=headers)
    return httpx.Response(status, json=data, headers=headers)


def body_of(request: httpx.Request) -> Any:
    """The JSON body of a request, or ``None`` when it has no body."""
    content = request.content
    return json.loads(content) if content else None


def traffic(router: respx.MockRouter) -> list[tuple[str, str]]:
    """Every request sent so far, as (method, path)."""
    return [(call.request.method, call.request.url.path) for call in router.calls]


def only_request(router: respx.MockRouter) -> httpx.Request:
    """The one request sent; fails if there were none or several."""
    sent = traffic(router)
    assert len(sent) == 1, f"expected exactly one request, got {sent}"
    request: httpx.Request = router.calls.last.request
    return request
