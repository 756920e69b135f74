"""`python -m offline` is the `crossmesh` command."""

from offline.launch import run

run()
