"""`python -m offline` is the `crossmesh` command."""

from offline.commands.launch import run

run()
