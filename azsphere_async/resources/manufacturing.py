"""Manufacturing state calls; moving the state forward can never be undone."""

from __future__ import annotations

from ..errors import InvalidArgumentError
from ..models import ManufacturingState, ManufacturingStatus
from ..validation import check_choice
from ..versions import V3_1
from ._base import Resource

__all__ = ["ManufacturingResource"]

_SETTABLE = (ManufacturingState.MODULE1_COMPLETE, ManufacturingState.DEVICE_COMPLETE)


class ManufacturingResource(Resource):
    """The device's manufacturing state: Blank -> Module1Complete -> DeviceComplete."""

    group = "manufacturing"

    async def get_state(self) -> ManufacturingState:
        """The current manufacturing state."""
        status = await self._get("/device/manufacturing_state", ManufacturingStatus, since=V3_1)
        if status.manufacturing_state is None:
            return ManufacturingState.UNKNOWN
        return status.manufacturing_state

    async def set_state(
        self, state: ManufacturingState | str, *, irreversible_ok: bool = False
    ) -> None:
        """Move the manufacturing state forward to ``state``. THIS CAN NEVER BE UNDONE.

        Refused unless ``irreversible_ok`` is ``True``. Reads the current state first and
        refuses a move to the same or an earlier state (or from a state it cannot place in
        the order) before anything is changed.
        """
        target = check_choice(state, ManufacturingState, "state", among=_SETTABLE)
        if irreversible_ok is not True:
            raise InvalidArgumentError(
                "irreversible_ok",
                repr(irreversible_ok),
                f"True, to confirm moving the manufacturing state to {target.value}, "
                "which can never be undone",
            )
        current = await self.get_state()
        if current.rank is None:
            raise InvalidArgumentError(
                "state",
                repr(target.value),
                f"a state after the current one, but the device reports {current.value!r}, "
                "which has no place in Blank -> Module1Complete -> DeviceComplete; "
                "nothing was changed",
            )
        if target.rank is not None and target.rank <= current.rank:
            raise InvalidArgumentError(
                "state",
                repr(target.value),
                f"a state after the device's current {current.value!r} (the state only moves "
                "forward: Blank -> Module1Complete -> DeviceComplete); nothing was changed",
            )
        await self._send(
            "PUT",
            "/device/manufacturing_state",
            body=ManufacturingStatus(manufacturing_state=target),
            since=V3_1,
        )
