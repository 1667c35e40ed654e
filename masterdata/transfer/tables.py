"""Reading and writing tables as CSV or XLSX: a header row, then one record per row.

CSV is read as UTF-8 (a byte-order mark, as Excel writes it, is skipped) with a comma,
semicolon or tab as separator, whichever the header uses. XLSX is read from its first sheet,
streamed (openpyxl's read-only mode), so that a large file is never held as cells in memory.
Every cell arrives as text: numbers as their shortest decimal form, dates as ISO 8601.
Written CSV carries the byte-order mark, so that Excel shows non-Latin names correctly.
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from crm.masterdata.transfer.models import FileFormat
from crm.platform.core.errors import CrmError, ErrorCode

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_CELL_CHARACTERS = 10_000
XLSX_MAGIC = b"PK\x03\x04"
# A row as read: its line number in the file (the header is line 1) and its cells by column.
Row = tuple[int, dict[str, str]]


def _invalid(reason: str) -> CrmError:
    return CrmError(ErrorCode.INVALID_FILE, field="file", reason=reason)


def format_of(file_name: str, content: bytes) -> FileFormat:
    """XLSX when the name or the bytes say so (an XLSX file is a ZIP archive), else CSV."""
    if file_name.lower().endswith(".xlsx") or content.startswith(XLSX_MAGIC):
        return FileFormat.XLSX
    return FileFormat.CSV


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # The shortest text that reads back as the same double: 12.5, not 12.500000000001.
        return format(Decimal(repr(value)).normalize(), "f")
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def _csv_lines(content: bytes) -> Iterator[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _invalid(f"not UTF-8 text (byte {error.start})") from None
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    except csv.Error as error:
        raise _invalid(f"not valid CSV ({error})") from None


def _xlsx_lines(content: bytes) -> Iterator[list[str]]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as error:
        raise _invalid(f"not an XLSX workbook ({type(error).__name__})") from None
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_text(value) for value in values]
    finally:
        workbook.close()


def lines(content: bytes, file_format: FileFormat) -> Iterator[list[str]]:
    if len(content) > MAX_FILE_BYTES:
        raise _invalid(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    if file_format == FileFormat.XLSX:
        return _xlsx_lines(content)
    return _csv_lines(content)


def read(content: bytes, file_format: FileFormat) -> tuple[list[str], Iterator[Row]]:
    """The header (column names, lower case, trimmed) and the rows after it.

    Blank rows are skipped (their line numbers still count); a row with more cells than the
    header, or a cell longer than MAX_CELL_CHARACTERS, is refused as a whole file error.
    """
    source = lines(content, file_format)
    header = next(source, None)
    if header is None:
        raise _invalid("the file is empty")
    while header and not header[-1].strip():
        header.pop()  # spreadsheets often carry empty trailing columns
    columns = [name.strip().lower() for name in header]
    if not columns or not all(columns):
        raise _invalid("the first row must name every column")
    if len(set(columns)) != len(columns):
        twice = sorted({name for name in columns if columns.count(name) > 1})
        raise _invalid(f"column {twice[0]!r} appears twice")

    def rows() -> Iterator[Row]:
        for number, cells in enumerate(source, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            extra = [cell for cell in cells[len(columns) :] if cell.strip()]
            if extra:
                raise _invalid(f"line {number} has more cells than the header")
            if any(len(cell) > MAX_CELL_CHARACTERS for cell in cells):
                raise _invalid(f"line {number} has a cell over {MAX_CELL_CHARACTERS} characters")
            padded = [*cells[: len(columns)], *[""] * (len(columns) - len(cells))]
            yield number, {name: cell.strip() for name, cell in zip(columns, padded, strict=True)}

    return columns, rows()


def count_rows(content: bytes, file_format: FileFormat) -> int:
    """Rows after the header that hold anything (a first, cheap pass, for progress)."""
    source = lines(content, file_format)
    next(source, None)
    return sum(1 for cells in source if any(cell.strip() for cell in cells))


def write(
    header: list[str], rows: Iterable[list[Any]], file_format: FileFormat
) -> tuple[bytes, int]:
    """The file's bytes and the number of rows written after the header."""
    count = 0
    if file_format == FileFormat.XLSX:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        sheet.append(header)
        for row in rows:
            sheet.append([_cell(value) for value in row])
            count += 1
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue(), count
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else str(value) for value in row])
        count += 1
    return text.getvalue().encode("utf-8-sig"), count


def _cell(value: Any) -> Any:
    """Amounts stay exact in XLSX as text-free decimals are not a cell type: write them as
    text, so that no float rounding can creep in between export and re-import."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value, "f")
    return value
