"""Bounds on what staff upload, checked before a file is parsed and before anything is written.

Every import entrance asks these functions: the plan document (``manage.py import_plan``), the actuals
template (``manage.py import_actuals`` and the admin upload, .xlsx or .csv). Each returns the problem as a
Japanese sentence naming the limit and what was found, or None. The limits are settings
(dxportal/settings.py, from the environment): ``IMPORT_MAX_FILE_BYTES`` and so on.

An .xlsx file is a zip archive. Its members are measured before openpyxl opens it: first by what the
archive's directory declares (size, compression ratio), then by decompressing each member in small pieces
and counting, so that nothing larger than the limits is ever held in memory. The same pass refuses a DTD
(``<!DOCTYPE``, ``<!ENTITY``: Excel never writes one; entity expansion and external entities start there)
and any stretch of XML without a tag longer than the longest cell allowed.
"""

import io
import re
import zipfile
import zlib
from decimal import Decimal

from django.conf import settings

CHUNK = 1 << 20  # bytes decompressed at a time while measuring an archive
RATIO_FLOOR = 1 << 20  # members smaller than this are not held to the compression ratio (headers, styles)
XML_MARKUP_ALLOWANCE = 4096  # a cell's XML around its text: tag, attributes, namespaces
BYTES_PER_CHARACTER = 6  # UTF-8 takes up to 4 bytes a character, an XML escape (&amp;) 5, _x0000_ 7 for 1
DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
UNPAIRED_SURROGATE = re.compile("[\ud800-\udfff]")


def setting(name: str) -> int:
    return int(getattr(settings, name))


def size_text(size: int) -> str:
    """3.2 MB, 120 KB, 512 バイト: binary units, as Windows Explorer shows file sizes."""
    if size >= 1 << 20:
        return f"{size / (1 << 20):,.1f} MB".replace(".0 ", " ")
    if size >= 1 << 10:
        return f"{size / (1 << 10):,.0f} KB"
    return f"{size:,} バイト"


def file_size_problem(size: int) -> str | None:
    """Any uploaded file: refused above IMPORT_MAX_FILE_BYTES, before it is read."""
    limit = setting("IMPORT_MAX_FILE_BYTES")
    if size > limit:
        return f"ファイルが大きすぎます（{size_text(size)}、上限 {size_text(limit)}）"
    return None


def max_cell_characters() -> int:
    return setting("IMPORT_MAX_CELL_CHARS")


def max_rows() -> int:
    return setting("IMPORT_MAX_ROWS")


def cell_length_problem(text: str, limit: int | None = None) -> str | None:
    limit = max_cell_characters() if limit is None else limit
    if len(text) > limit:
        return f"{len(text):,}文字あります（{limit:,}文字まで）"
    return None


def text_problem(text: str) -> str | None:
    """Characters no database column takes: NUL, and halves of a surrogate pair (broken UTF-16)."""
    if "\x00" in text:
        return "NUL文字（\\u0000）が含まれています"
    if UNPAIRED_SURROGATE.search(text):
        return "対になっていないサロゲート文字（\\ud800〜\\udfff）が含まれています"
    return None


def decimal_problem(number: Decimal, field) -> str | None:
    """Why ``number`` cannot be stored in the DecimalField ``field`` exactly, or None.

    Refused: NaN and infinities, more digits before the point than the field holds (the database would
    overflow), and more decimals than it keeps (the database would round 0.000001 to 0.0000 silently).
    """
    if not number.is_finite():
        return "数値として保存できません（NaN・無限大）"
    integer_digits = field.max_digits - field.decimal_places
    if abs(number) >= Decimal(10) ** integer_digits:
        return f"大きすぎます（整数部分は{integer_digits}桁まで）"
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > field.decimal_places:
        return f"小数点以下の桁数が多すぎます（{field.decimal_places}桁まで。それより細かい値は丸められてしまいます）"
    return None


def xlsx_problem(data: bytes) -> str | None:
    """Why the .xlsx archive may not be opened (too big once unpacked, a bomb, a DTD), or None.

    A file that is not a zip archive at all is left to the reader, which says it cannot read it.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return None
    with archive:
        members = archive.infolist()
        return declared_problem(members) or measured_problem(archive, members)


def declared_problem(members: list[zipfile.ZipInfo]) -> str | None:
    """What the archive's directory says: number of members, total size unpacked, compression ratios."""
    max_members = setting("IMPORT_MAX_ZIP_MEMBERS")
    if len(members) > max_members:
        return f"ファイル（.xlsx）の中のファイルが多すぎます（{len(members):,}個、上限 {max_members:,}個）"
    limit = setting("IMPORT_MAX_UNCOMPRESSED_BYTES")
    total = sum(member.file_size for member in members)
    if total > limit:
        return unpacked_too_large(total, limit)
    max_ratio = setting("IMPORT_MAX_COMPRESSION_RATIO")
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_FLOOR and ratio > max_ratio:
            return (
                f"ファイル（.xlsx）の {member.filename} の圧縮率が高すぎます（{ratio:,.0f}倍、上限 {max_ratio:,}倍）。"
                "展開すると大量のメモリを使うため読み込みません"
            )
    return None


def unpacked_too_large(total: int, limit: int) -> str:
    return (
        f"ファイル（.xlsx）を展開すると大きすぎます（{size_text(total)}、上限 {size_text(limit)}）。"
        "展開すると大量のメモリを使うため読み込みません"
    )


def measured_problem(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> str | None:
    """Decompress every member a piece at a time: its real size (zipfile stops at the declared one and
    then finds the checksum wrong), a DTD, and the longest stretch of XML without a tag."""
    limit = setting("IMPORT_MAX_UNCOMPRESSED_BYTES")
    longest_allowed = max_cell_characters() * BYTES_PER_CHARACTER + XML_MARKUP_ALLOWANCE
    total = 0
    for member in members:
        scan = MemberScan(longest_allowed)
        try:
            with archive.open(member) as stream:
                while chunk := stream.read(CHUNK):
                    total += len(chunk)
                    if total > limit:
                        return unpacked_too_large(total, limit)
                    problem = scan.feed(chunk)
                    if problem:
                        return f"ファイル（.xlsx）の {member.filename} に{problem}"
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, zlib.error, EOFError, OSError, ValueError):
            return "ファイルを読み込めません（.xlsx の中身が壊れているか、暗号化されています）"
    return None


class MemberScan:
    """Feeds of one member's bytes: finds a DTD and text runs (between two '<') longer than allowed."""

    def __init__(self, longest_allowed: int):
        self.longest_allowed = longest_allowed
        self.run = 0  # bytes since the last '<'
        self.tail = b""  # the end of the previous piece, so a DTD split between two pieces is found

    def feed(self, chunk: bytes) -> str | None:
        if DTD.search(self.tail + chunk):
            return "DTD（<!DOCTYPE> や <!ENTITY>）が含まれています。Excel が保存したファイルではないため読み込みません"
        self.tail = chunk[-16:]
        pieces = chunk.split(b"<")
        if len(pieces) == 1:
            self.run += len(chunk)
            longest = self.run
        else:
            longest = max(self.run + len(pieces[0]), *map(len, pieces[1:]))
            self.run = len(pieces[-1])
        if longest > self.longest_allowed:
            return (
                f"長すぎる値があります（{size_text(longest)}。1つのセルは{max_cell_characters():,}文字まで）。"
                "展開すると大量のメモリを使うため読み込みません"
            )
        return None
