"""Loaded by Python subprocesses that tests start, so they obey the loopback-only rule too."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import netguard  # noqa: E402

netguard.install()
