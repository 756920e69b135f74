"""Maintenance scripts: refreshing the data the engine and the checks read from upstream."""
