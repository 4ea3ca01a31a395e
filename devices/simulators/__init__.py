"""Device simulators: pymodbus servers serving the same register maps as the drivers, with physics and faults."""
