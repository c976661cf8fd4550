"""The environment of a Chalice stage, as `.chalice/config.json` declares it, for local commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CONFIG = Path(__file__).resolve().parent.parent / ".chalice" / "config.json"


def stage_environment(stage: str, config_path: Path = CONFIG) -> dict[str, str]:
    """The app-wide environment variables overlaid with the stage's; an unknown stage is an error."""
    config: dict[str, Any] = json.loads(config_path.read_text())
    stages = config.get("stages", {})
    if stage not in stages:
        raise KeyError(f"no stage {stage!r} in {config_path}; stages: {', '.join(stages)}")
    return {**config.get("environment_variables", {}), **stages[stage].get("environment_variables", {})}


def api_gateway_stage(stage: str, config_path: Path = CONFIG) -> str:
    """The API Gateway stage (the URLs' path) Chalice deploys a stage's APIs to."""
    config: dict[str, Any] = json.loads(config_path.read_text())
    found = config.get("stages", {}).get(stage, {}).get("api_gateway_stage") or config.get("api_gateway_stage")
    return str(found or "api")
