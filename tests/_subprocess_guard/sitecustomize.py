"""Loaded by Python subprocesses that tests start, so they obey the loopback-only rule too."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests import netguard

netguard.install()
