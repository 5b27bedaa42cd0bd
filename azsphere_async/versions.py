"""REST API versions: parsing the ``REST-API-Version`` header, comparing versions, and the
versions at which calls appeared (from the history in the OpenAPI description)."""

from __future__ import annotations

import re

import attrs

__all__ = ["V1_2", "V2_0", "V3_0", "V3_1", "V4_1", "V4_3", "V4_5", "V4_6", "RestApiVersion"]

# ASCII digits only, matched whole: "\d" would take other scripts' digits, which int() reads.
_VERSION = re.compile(r"[ \t]*([0-9]{1,9})\.([0-9]{1,9})(?:\.([0-9]{1,9}))?[ \t]*")


@attrs.frozen(order=True)
class RestApiVersion:
    """A device REST API version such as ``4.6.0``; versions compare in numeric order."""

    major: int
    minor: int
    patch: int = 0

    @classmethod
    def parse(cls, text: str) -> RestApiVersion:
        """Parse ``"4.6.0"`` (or ``"4.6"``); raise ``ValueError`` for anything else."""
        match = _VERSION.fullmatch(text)
        if match is None:
            raise ValueError(f"not a REST API version: {text!r} (expected MAJOR.MINOR.PATCH)")
        major, minor, patch = match.groups()
        return cls(int(major), int(minor), int(patch or 0))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


#: ``GET /log``.
V1_2 = RestApiVersion(1, 2, 0)
#: ``GET``/``PATCH /app/status``.
V2_0 = RestApiVersion(2, 0, 0)
#: ``/update/stage``, ``/update/install``, ``DELETE /wifi/config/networks/{id}``.
V3_0 = RestApiVersion(3, 0, 0)
#: ``/abi_versions``, capabilities, manufacturing state, ``/app/quota``, ``/telemetry``,
#: ``/net/status`` and ``GET /net/interfaces``.
V3_1 = RestApiVersion(3, 1, 0)
#: ``/net/firewall/rulesets``.
V4_1 = RestApiVersion(4, 1, 0)
#: ``PATCH /net/interfaces/{name}``, ``/stats/memory/groups/applications``.
V4_3 = RestApiVersion(4, 3, 0)
#: ``/osversion``.
V4_5 = RestApiVersion(4, 5, 0)
#: ``enablePowerSavings`` on ``PATCH /wifi/interface``.
V4_6 = RestApiVersion(4, 6, 0)
