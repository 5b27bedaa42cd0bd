"""What every resource group shares: the session it talks through."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..versions import RestApiVersion

if TYPE_CHECKING:
    from ..transport import DeviceSession

__all__ = ["V1_2", "V2_0", "V3_0", "V3_1", "V4_1", "V4_3", "V4_5", "V4_6", "Resource"]

# REST API versions at which calls appeared (see the history in the OpenAPI description).
V1_2 = RestApiVersion(1, 2, 0)
V2_0 = RestApiVersion(2, 0, 0)
V3_0 = RestApiVersion(3, 0, 0)
V3_1 = RestApiVersion(3, 1, 0)
V4_1 = RestApiVersion(4, 1, 0)
V4_3 = RestApiVersion(4, 3, 0)
V4_5 = RestApiVersion(4, 5, 0)
V4_6 = RestApiVersion(4, 6, 0)


class Resource:
    """A group of related device calls, reached as an attribute of a ``DeviceClient``."""

    def __init__(self, session: DeviceSession) -> None:
        self._session = session

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._session.address}>"
