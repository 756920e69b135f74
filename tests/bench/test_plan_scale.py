"""The scale benchmark's generated stacks are valid and exercise the link, and its table reads right."""

from __future__ import annotations

from pathlib import Path

import yaml

from bench.plan_scale import Measurement, generated_services, table, verdicts, write_stack
from components.config import load_config
from offline.engine import read_stack_file
from tests.support.plans import PROJECT_DIR


def test_generated_stacks_validate_and_half_their_calls_cross_the_link(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    write_stack(tmp_path, "s50", generated_services(50))
    _, config, _ = read_stack_file(tmp_path, "s50")
    raw = {key.split(":", 1)[1]: yaml.safe_load(value) for key, value in config.items()}
    stack = load_config(raw)
    assert len(stack.services) == 50
    cloud = {service.name: service.cloud for service in stack.services}
    crossing = [s for s in stack.services for caller in s.callers if cloud[caller] != s.cloud]
    assert len(crossing) == 49


def test_table_reports_the_marginal_resources_per_service() -> None:
    dev = Measurement(4, 2.0, 200.0, 140, 1.5)
    results = [Measurement(10, 2.5, 210.0, 200, 1.9), Measurement(50, 3.0, 220.0, 600, 2.25)]
    text = table(dev, results)
    assert "| generated | 50 | 600 | 10.0 | 3.00 s | 2.25 s | 220 MiB |" in text
    assert "| generated | 10 | 200 | - |" in text
    assert verdicts(dev, results)[0] == "dev plan 2.00 s (target < 3 s)"
