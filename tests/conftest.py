"""Shared pytest fixtures for the whole suite."""

from __future__ import annotations

import os

import matplotlib

from devices.modbus_client import quiet_pymodbus

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")
quiet_pymodbus()  # the suite injects dead and faulty devices on purpose; pymodbus would log every request
