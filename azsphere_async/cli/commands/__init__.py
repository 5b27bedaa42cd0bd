"""The commands, one module per command or command group (in the style of python-kasa's CLI).

:data:`COMMANDS` lists them in the order ``--help`` shows them.
"""

from __future__ import annotations

from typing import Final

import click

from .app import app_group
from .apply import apply_command
from .cert import cert
from .deploy import deploy
from .devices import devices
from .images import images
from .logs import logs
from .manufacturing import manufacturing_state
from .mock import demo, mock
from .network import network
from .outbox import outbox
from .plan import plan_command
from .ready import ready
from .records import records
from .restart import restart
from .station import station
from .status import status
from .wifi import wifi

__all__ = ["COMMANDS"]

#: Every command of ``azsphere-async``, in the order of its help.
COMMANDS: Final[tuple[click.Command, ...]] = (
    devices,
    status,
    images,
    deploy,
    ready,
    plan_command,
    apply_command,
    app_group,
    wifi,
    cert,
    network,
    restart,
    logs,
    station,
    records,
    outbox,
    manufacturing_state,
    mock,
    demo,
)
