"""Finding and loading the golden frames.

Looked for in ``$GONGWU_VECTORS_DIR``, ``data/reference/vectors`` and ``../shared/vectors``.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


def vectors_dir() -> Path:
    env = os.environ.get("GONGWU_VECTORS_DIR")
    candidates = [Path(env)] if env else []
    candidates.append(REPO_ROOT / "data" / "reference" / "vectors")
    candidates.append(REPO_ROOT.parent / "shared" / "vectors")
    for path in candidates:
        if (path / "jt808.jsonl").is_file():
            return path
    raise FileNotFoundError(f"no vectors in {candidates}; set GONGWU_VECTORS_DIR")


@cache
def load(name: str) -> list[dict[str, Any]]:
    with open(vectors_dir() / f"{name}.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
