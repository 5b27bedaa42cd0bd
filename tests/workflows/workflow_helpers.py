"""Helpers of the workflow tests: recipes written to files, Microsoft's release list, requests.

A recipe names its packages by path; :func:`write_recipe` writes one next to copies of the
real packages. :func:`write_releases` writes a small list of OS releases in the format of
Microsoft's ``mt3620an.json``, built from the mock's own OS components (the library never
downloads the real one). :func:`changes` counts the requests that are not reads.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Final

import trustme

from azsphere_async.mock.config import DEFAULT_OS_COMPONENTS
from tests.shared_data import BLINK, MUTABLE

#: A key the mock's access point ExampleNetworkName takes; never shown anywhere.
WIFI_KEY: Final = "L1ne-Wifi-K3y-never-shown"
WIFI_KEY_ENV: Final = "LINE_WIFI_KEY"

#: The line's recipe in the tests: blink, a PSK network, a root CA, and Module1Complete last.
#: It needs :func:`write_root_ca` beside it.
LINE_RECIPE: Final = f"""\
os_versions = ["24.03"]
other_apps = "remove"
other_wifi = "remove"
allowed_capabilities = [11]   # mock boards are development boards
manufacturing_state = "Module1Complete"

[[apps]]
package = "blink.imagepackage"

[[wifi]]
ssid = "LineWifi"
key_env = "{WIFI_KEY_ENV}"

[[certificates]]
id = "LineCA"
type = "rootca"
cert = "line-ca.pem"
"""


def write_recipe(folder: Path, text: str, name: str = "line.toml") -> Path:
    """``text`` as ``folder/name``, with blink.imagepackage and mutable.imagepackage beside it."""
    shutil.copy(BLINK, folder / "blink.imagepackage")
    shutil.copy(MUTABLE, folder / "mutable.imagepackage")
    path = folder / name
    path.write_text(text)
    return path


def write_root_ca(folder: Path, name: str = "line-ca.pem") -> Path:
    """A CA certificate in PEM, as a line's root CA for its Wi-Fi or cloud."""
    path = folder / name
    path.write_bytes(trustme.CA().cert_pem.bytes())
    return path


def write_releases(path: Path, *names: str) -> Path:
    """A list of releases in mt3620an.json's format: the first name is the mock's own OS.

    Further names get made-up images, so only the first matches a mock board.
    """
    versions = []
    for number, name in enumerate(names or ("24.03",)):
        images = [
            {
                "cid": c.component_id,
                "iid": c.image_id if number == 0 else f"{c.image_id[:-4]}{number:04d}",
            }
            for c in DEFAULT_OS_COMPONENTS
        ]
        versions.append({"name": name, "images": images})
    path.write_text(json.dumps({"versions": versions}))
    return path


def changes(requests_by_operation: Counter[str]) -> dict[str, int]:
    """The requests that change something (every method but GET), by operation."""
    return {op: n for op, n in requests_by_operation.items() if not op.startswith("GET ")}
