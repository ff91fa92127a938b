"""Import of the bureau's own enterprise spreadsheets (.xlsx / .csv) and export back to .xlsx."""

from shuzhuan.enterprises.imports.export import enterprise_export_xlsx
from shuzhuan.enterprises.imports.service import ImportReport, RowError, enterprise_import

__all__ = ["ImportReport", "RowError", "enterprise_export_xlsx", "enterprise_import"]
