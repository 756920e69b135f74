"""What one hop's check finds: open or not, and what opens or closes it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    ok: bool
    detail: str
