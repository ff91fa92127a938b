"""``manage.py export_openapi docs/openapi.json`` — write the API's OpenAPI schema (``make openapi``).

The file is committed; tests/test_openapi_snapshot.py fails when it no longer matches the code, so
a change to the API shows up in review as a change to docs/openapi.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand
from ninja.responses import NinjaJSONEncoder


def openapi_schema_text() -> str:
    """The schema as stable, readable JSON: sorted keys, Chinese unescaped, a final newline."""
    from shuzhuan.api import api

    schema = api.get_openapi_schema()
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False, cls=NinjaJSONEncoder) + "\n"


class Command(BaseCommand):
    help = "把 API 的 OpenAPI 描述写入文件 / write the API's OpenAPI schema as JSON."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", type=Path, help="target file, e.g. docs/openapi.json")

    def handle(self, *args: Any, path: Path, **options: Any) -> None:
        text = openapi_schema_text()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        self.stdout.write(f"已写入 {path}（{len(text.encode('utf-8'))} 字节）")
