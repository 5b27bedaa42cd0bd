"""The station: boards plugged in are provisioned, checked and recorded, and the line is told.

- :mod:`~azsphere_async.station.hotplug`: attach and detach events from the Device
  Communication Service (:func:`watch_attached`);
- :class:`Station` (``_station``) runs each attached board through an operation, and
  :mod:`~azsphere_async.station.runs` is a board's run as the operation sees it;
- :mod:`~azsphere_async.station.recipe`: a recipe as the station's operation;
- :mod:`~azsphere_async.station.serials`: serial numbers from a barcode scanner or a command;
- :mod:`~azsphere_async.station.delivery`: the records' events to their targets, and the MQTT
  broker's; :mod:`~azsphere_async.station.webhook`: an HTTP endpoint's.

The records themselves are :mod:`azsphere_async.records`.
"""

from ._station import Station
from .delivery import MQTT_TARGET, BrokerSettings, MqttPublisher, OutboxSender
from .hotplug import HotplugEvent, Identify, identify_device, watch_attached
from .recipe import RecipeNotMet, recipe_operation, recipe_secrets
from .runs import BoardRun, Operation, SlotState, SlotView
from .serials import CommandSerials, SerialError, SerialScanner, SerialSource
from .webhook import WebhookPublisher, WebhookSettings

__all__ = [
    "MQTT_TARGET",
    "BoardRun",
    "BrokerSettings",
    "CommandSerials",
    "HotplugEvent",
    "Identify",
    "MqttPublisher",
    "Operation",
    "OutboxSender",
    "RecipeNotMet",
    "SerialError",
    "SerialScanner",
    "SerialSource",
    "SlotState",
    "SlotView",
    "Station",
    "WebhookPublisher",
    "WebhookSettings",
    "identify_device",
    "recipe_operation",
    "recipe_secrets",
    "watch_attached",
]
