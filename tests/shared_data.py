"""Test data the whole suite shares: the real image packages, their IDs, the device's defaults.

Every test takes these from here rather than writing its own copy. The two packages are real
(MIT licence beside each): blink ships with the library for the demo, MutableStorage lives
in ``tests/data``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[1]

#: The demo application package, its component ID and its image ID.
BLINK: Final = ROOT / "azsphere_async" / "data" / "demo" / "azure_sphere_blink.imagepackage"
BLINK_ID: Final = "2f074b0f-d99d-4692-82d9-ef93a7d6463c"
BLINK_IMAGE_ID: Final = "6415a939-c098-48cf-8e5c-02b52a9f0ffb"
#: An application package that asks for mutable storage, its component ID and its image ID.
MUTABLE: Final = ROOT / "tests" / "data" / "MutableStorage.imagepackage"
MUTABLE_ID: Final = "ae4714aa-03aa-492b-9663-962f966a9cc3"
MUTABLE_IMAGE_ID: Final = "af0156c9-acb9-46cc-9aaa-5354e8177966"

#: The OpenAPI description that ships with the mock device (read, never imported).
OPENAPI: Final = ROOT / "azsphere_async" / "mock" / "spec" / "device-rest-api.openapi.yaml"

#: A real board's address over USB: the library's default. Tests only route it through respx
#: or an in-process ASGI app; the network guard fails any test that dials it.
DEVICE_ADDRESS: Final = "192.168.35.2"
DEVICE_URL: Final = f"https://{DEVICE_ADDRESS}"
#: The name every real device certificate carries.
DEVICE_NAME: Final = "*.devices.sphere.azure.local"
#: The REST API version of recorded answers and of the mock's default device.
REST_API_VERSION: Final = "4.6.0"
VERSION_HEADER: Final = {"REST-API-Version": REST_API_VERSION}
#: The content type of an image upload.
OCTETS: Final = {"content-type": "application/octet-stream"}


def big_package(directory: Path, payload_size: int) -> Path:
    """A large package the mock accepts: a random payload, then blink's metadata tail.

    Written once per directory and size (``big-<size>.imagepackage``).
    """
    path = directory / f"big-{payload_size}.imagepackage"
    if not path.exists():
        with path.open("wb") as handle:
            handle.write(os.urandom(payload_size))
            handle.write(BLINK.read_bytes())
    return path
