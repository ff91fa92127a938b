"""docs/openapi.json is the API's contract as committed; it must match the code."""

from __future__ import annotations

import difflib
import json
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from shuzhuan.web.management.commands.export_openapi import openapi_schema_text

SNAPSHOT = Path(settings.BASE_DIR) / "docs" / "openapi.json"
HINT = "docs/openapi.json is out of date with the API: run `make openapi` and commit the result."


def test_committed_schema_matches_the_api() -> None:
    assert SNAPSHOT.exists(), f"docs/openapi.json is missing. {HINT}"
    committed = SNAPSHOT.read_text(encoding="utf-8")
    live = openapi_schema_text()
    if committed != live:
        diff = difflib.unified_diff(
            committed.splitlines(), live.splitlines(), "docs/openapi.json", "live schema", lineterm="", n=2
        )
        shown = "\n".join(list(diff)[:60])
        raise AssertionError(f"{HINT}\n{shown}")


def test_export_command_writes_the_same_text(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "openapi.json"
    call_command("export_openapi", str(target), stdout=StringIO())
    text = target.read_text(encoding="utf-8")
    assert text == openapi_schema_text()
    assert text.endswith("}\n") and "企业列表" in text  # pretty, Chinese kept readable
    assert list(json.loads(text)) == sorted(json.loads(text))
    assert not list(tmp_path.glob("**/*.part"))
