"""What an import reports: the rows refused (row, column, message) and the counts."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_LISTED_ERRORS = 200


@dataclass(frozen=True)
class PeerRowError:
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"第{self.row}行「{self.column}」：{self.reason}"


@dataclass
class PeerImportReport:
    """Created/updated/unchanged rows of a stored file; ``errors`` (and nothing stored) otherwise."""

    filename: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[PeerRowError] = field(default_factory=list)
    more_errors: int = 0  # errors beyond the first MAX_LISTED_ERRORS, not listed

    @property
    def ok(self) -> bool:
        return not self.errors

    def error_lines(self) -> list[str]:
        lines = [str(e) for e in self.errors]
        if self.more_errors:
            lines.append(f"……另有 {self.more_errors} 处错误未列出")
        return lines

    def summary(self) -> str:
        if not self.ok:
            return f"未导入：{len(self.errors) + self.more_errors} 处错误，请修改后重新上传（未写入任何数据）"
        return f"已导入 {self.rows} 行：新增 {self.created}，更新 {self.updated}，无变化 {self.unchanged}"
