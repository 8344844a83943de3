"""Generators of bad actuals files for tests/test_malformed_inputs.py: templates and zip archives.

The actuals files are the roles plan's template (or its CSV) broken one way each; the zip archives,
bombs among them, are assembled byte by byte. ``Bad`` is in tests/malformed_files.py.
"""

import copy
import csv
import io
import re
import struct
import zipfile
import zlib

from openpyxl import load_workbook

from kpis.sheets.columns import check_key
from kpis.sheets.template import build_actuals_template
from tests.malformed_files import FY, Bad

# Zip archives, byte by byte


def repeated_deflate(prefix: bytes, mebibytes: int, suffix: bytes, byte: bytes = b"A") -> bytes:
    """A raw deflate stream of prefix + ``mebibytes`` MiB of ``byte`` + suffix, built in milliseconds.

    After a full flush the compressor starts afresh, so every MiB of the same byte compresses to the
    same ~1 KB: one is made and repeated.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    piece = compressor.compress(byte * (1 << 20)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return head + piece * mebibytes + compressor.compress(suffix) + compressor.flush()


def zip_archive(members: list[tuple]) -> bytes:
    """A zip file of (name, stored bytes, method, crc, declared size[, flags]) members, as declared."""
    out, central = io.BytesIO(), []
    for name, data, method, crc, size, *flags in members:
        flag = flags[0] if flags else 0
        offset, encoded = out.tell(), name.encode()
        out.write(
            struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flag, method, 0, 0x21, crc, len(data), size, len(encoded), 0)
        )
        out.write(encoded + data)
        central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                *(0x02014B50, 20, 20, flag, method, 0, 0x21, crc, len(data), size, len(encoded), 0, 0, 0, 0, 0, offset),
            )
            + encoded
        )
    start = out.tell()
    out.write(b"".join(central))
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), out.tell() - start, start, 0))
    return out.getvalue()


def zip_bomb(declared: int | None = None) -> bytes:
    """1.5 MB holding a 1.5 GB cell in its shared strings; ``declared``: the size its directory claims."""
    text = repeated_deflate(
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>', 1500, b"</t></si></sst>"
    )
    size = 1500 * (1 << 20) + 90 if declared is None else declared
    return zip_archive(
        [
            ("[Content_Types].xml", b"<Types/>", 0, zlib.crc32(b"<Types/>"), 8),
            ("xl/sharedStrings.xml", text, 8, 0, size),
        ]
    )


def rewritten(data: bytes, change) -> bytes:
    """The archive with change(name, content) → new content applied to each member."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, change(info.filename, source.read(info.filename)))
    return out.getvalue()


def with_flag(data: bytes, flag: int = 0, method: int | None = None) -> bytes:
    """Every member's general-purpose flag or compression method changed in place (local and central)."""
    data = bytearray(data)
    for signature, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        position = data.find(signature)
        while position != -1:
            if flag:
                struct.pack_into(
                    "<H", data, position + flag_at, struct.unpack_from("<H", data, position + flag_at)[0] | flag
                )
            if method is not None:
                struct.pack_into("<H", data, position + method_at, method)
            position = data.find(signature, position + 4)
    return bytes(data)


# Actuals templates


class Template:
    """The roles plan's actuals template for FY2025 (all rows: HQ's), as .xlsx bytes and as CSV rows."""

    def __init__(self, plan, user):
        stream = io.BytesIO()
        build_actuals_template(plan, FY, stream, user=user)
        self.xlsx = stream.getvalue()
        sheet = load_workbook(io.BytesIO(self.xlsx))["実績入力"]
        self.rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        self.numeric_row = next(i for i, row in enumerate(self.rows) if row[3] == "要望書の提出件数")

    def xlsx_with(self, **cells) -> bytes:
        workbook = load_workbook(io.BytesIO(self.xlsx))
        sheet = workbook["実績入力"]
        for ref, value in cells.items():
            sheet[ref.replace("ROW", str(self.numeric_row + 1))] = value
        stream = io.BytesIO()
        workbook.save(stream)
        return stream.getvalue()

    def csv_with(self, extra_rows: int = 0, **cells) -> bytes:
        rows = copy.deepcopy(self.rows)
        for column, value in cells.items():
            rows[self.numeric_row]["ABCDEFGHIJKLMNO".index(column)] = value
        rows += [copy.deepcopy(rows[self.numeric_row]) for _ in range(extra_rows)]
        text = io.StringIO()
        csv.writer(text).writerows(rows)
        return text.getvalue().encode("utf-8")

    def sheet_xml(self, change) -> bytes:
        return rewritten(self.xlsx, lambda name, content: change(content) if name.endswith("sheet1.xml") else content)


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b"]>"
)
XXE = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def with_prologue(prologue: bytes, reference: bytes):
    """The sheet's XML behind a DTD, with the fiscal year of the first row replaced by an entity reference."""

    def change(content: bytes) -> bytes:
        body = content.split(b"?>", 1)[1] if content.startswith(b"<?xml") else content
        return prologue + body.replace(b"<v>2025</v>", b"<v>" + reference + b"</v>", 1)

    return change


def actuals_cases(template: Template) -> list[Bad]:
    """Bad actuals files; ``expected`` is part of the message the import gives."""
    row = template.numeric_row + 1
    unknown_key = check_key(999999, FY)
    return [
        Bad(
            "empty",
            b"",
            "見出し行（指標ID・年度・実績 など）が見つかりません",
            "empty.csv",
            admin_expected="入力されたファイルは空です",
        ),
        Bad("binary", bytes(range(256)) * 8, "CSVファイルの文字コードを判別できません", "x.csv"),
        Bad("xls", b"\xd0\xcf\x11\xe0" + b"\0" * 512, "Excel 97-2003 形式（.xls）", "old.xls"),
        Bad("zip-without-workbook", zip_of({"readme.txt": b"hello"}), "ファイルを読み込めません", "a.xlsx"),
        Bad("truncated-xlsx", template.xlsx[: len(template.xlsx) // 2], "ファイルを読み込めません", "a.xlsx"),
        Bad("damaged-member", damaged(template.xlsx), "ファイルを読み込めません", "a.xlsx"),
        Bad("zip-bomb", zip_bomb(), "を展開すると大きすぎます（1,500 MB、上限 100 MB）", "bomb.xlsx"),
        Bad(
            "zip-bomb-declared-90-mb",
            zip_bomb(declared=90 << 20),
            "xl/sharedStrings.xml に長すぎる値があります",
            "bomb.xlsx",
        ),
        Bad(
            "zip-bomb-lying-directory",
            zip_bomb(declared=4000),
            "ファイルを読み込めません（.xlsx の中身が壊れているか",
            "bomb.xlsx",
        ),
        Bad(
            "1001-members",
            zip_of({f"m{i}.xml": b"<a/>" for i in range(1001)}),
            "多すぎます（1,001個、上限 1,000個）",
            "m.xlsx",
        ),
        Bad("ratio-1000", zip_of({"xl/sharedStrings.xml": b"A" * (2 << 20)}), "の圧縮率が高すぎます", "r.xlsx"),
        Bad(
            "billion-laughs",
            template.sheet_xml(with_prologue(BILLION_LAUGHS, b"&lol9;")),
            "DTD（<!DOCTYPE> や <!ENTITY>）",
            "b.xlsx",
        ),
        Bad("xxe", template.sheet_xml(with_prologue(XXE, b"&xxe;")), "DTD（<!DOCTYPE> や <!ENTITY>）", "x.xlsx"),
        Bad(
            "xml-nul",
            template.sheet_xml(lambda c: c.replace(b"<v>2025</v>", b"<v>&#0;</v>", 1)),
            "ファイルを読み込めません",
            "n.xlsx",
        ),
        Bad(
            "xml-surrogate",
            template.sheet_xml(lambda c: c.replace(b"<v>2025</v>", b"<v>&#xD800;</v>", 1)),
            "ファイルを読み込めません",
            "s.xlsx",
        ),
        Bad(
            "encrypted",
            with_flag(template.xlsx, flag=1),
            "ファイルを読み込めません（.xlsx の中身が壊れているか、暗号化されています）",
            "e.xlsx",
        ),
        Bad(
            "unknown-compression",
            with_flag(template.xlsx, method=99),
            "ファイルを読み込めません（.xlsx の中身が壊れているか",
            "u.xlsx",
        ),
        Bad(
            "cell-200000-characters",
            long_cell(template, 200_000),
            "長すぎる値があります（195 KB。1つのセルは10,000文字まで）",
            "l.xlsx",
        ),
        Bad(
            "note-12000-characters",
            template.xlsx_with(IROW="x" * 12_000),
            f"{row}行目 I列（備考）: 12,000文字あります（10,000文字まで）",
            "n.xlsx",
        ),
        Bad(
            "url-600-characters",
            template.xlsx_with(JROW="https://example.jp/" + "a" * 581),
            "J列（根拠資料URL）: 600文字あります（500文字まで）",
            "u.xlsx",
        ),
        Bad("xlsx-23-digits", template.xlsx_with(FROW="99999999999999999999999"), "は大きすぎます", "d.xlsx"),
        Bad("xlsx-six-decimals", template.xlsx_with(FROW="0.000001"), "は小数点以下の桁数が多すぎます", "p.xlsx"),
        Bad("xlsx-1e300", template.xlsx_with(FROW=1e300), f"{row}行目 F列（実績）", "h.xlsx"),
        Bad(
            "xlsx-nan",
            template.sheet_xml(nan_actual(template)),
            "ファイルを読み込めません",
            "nan.xlsx",
        ),
        Bad("formula", template.xlsx_with(FROW="=1+1"), "「=1+1」は数式です", "f.xlsx"),
        Bad("text-for-number", template.xlsx_with(FROW="たくさん"), "「たくさん」は数値ではありません", "t.xlsx"),
        Bad(
            "tampered-id",
            template.xlsx_with(AROW=123),
            "識別子の列（指標ID・年度・照合キー）は変更しないでください",
            "i.xlsx",
        ),
        Bad(
            "unknown-kpi",
            template.xlsx_with(AROW=999999, LROW=unknown_key, FROW="1"),
            "「999999」は登録されていない指標IDです",
            "k.xlsx",
        ),
        Bad("wrong-sheet", rename_sheet(template.xlsx), "シート「実績入力」が見つかりません", "w.xlsx"),
        Bad("renamed-header", template.xlsx_with(F3="実績値"), "列「実績」が見つかりません", "h.xlsx"),
        Bad("csv-nul", template.csv_with(F="1\x002"), f"{row}行目 F列（実績）: NUL文字", "n.csv"),
        Bad(
            "csv-field-200000",
            template.csv_with(I="x" * 200_000),
            "長すぎる項目があります（1つの項目は10,000文字まで）",
            "f.csv",
        ),
        Bad(
            "csv-note-12000",
            template.csv_with(I="x" * 12_000),
            "I列（備考）: 12,000文字あります（10,000文字まで）",
            "n.csv",
        ),
        Bad(
            "csv-url-600",
            template.csv_with(J="https://example.jp/" + "a" * 581),
            "600文字あります（500文字まで）",
            "u.csv",
        ),
        Bad("csv-23-digits", template.csv_with(F="99999999999999999999999"), "は大きすぎます", "d.csv"),
        Bad("csv-six-decimals", template.csv_with(F="0.000001"), "は小数点以下の桁数が多すぎます", "p.csv"),
        Bad("csv-duplicate-row", template.csv_with(extra_rows=1, F="3"), "は重複しています", "r.csv"),
        Bad("csv-header-only", header_only(template), "取り込む行がありません", "h.csv"),
        Bad(
            "csv-wrong-year",
            template.csv_with(B="2030", L=check_key(template.rows[row - 1][0], 2030)),
            "は対象の年度ではありません",
            "y.csv",
        ),
        Bad(
            "csv-too-many-rows",
            template.csv_with(extra_rows=10),
            "行が多すぎます（5行まで）",
            "m.csv",
            {"IMPORT_MAX_ROWS": 5},
        ),
        Bad("too-large", template.xlsx, "ファイルが大きすぎます", "big.xlsx", {"IMPORT_MAX_FILE_BYTES": 1000}),
        Bad(
            "cp932-garbage", "指標ID".encode("cp932") + b"\x85\x20", "CSVファイルの文字コードを判別できません", "g.csv"
        ),
    ]


def long_cell(template: Template, characters: int) -> bytes:
    """A note of ``characters`` characters, written into the XML (openpyxl cuts a cell at Excel's 32,767)."""
    marked = template.xlsx_with(IROW="LONG-CELL")
    return rewritten(marked, lambda name, content: content.replace(b"LONG-CELL", b"x" * characters))


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def damaged(data: bytes) -> bytes:
    """The sheet's compressed bytes overwritten in the middle: a deflate error or a wrong checksum."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    info = next(i for i in archive.infolist() if i.filename.endswith("sheet1.xml"))
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + info.compress_size // 2
    return data[:start] + b"\xff" * 64 + data[start + 64 :]


def rename_sheet(data: bytes) -> bytes:
    workbook = load_workbook(io.BytesIO(data))
    workbook["実績入力"].title = "Sheet1"
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def header_only(template: Template) -> bytes:
    text = io.StringIO()
    csv.writer(text).writerows(template.rows[:3])
    return text.getvalue().encode("utf-8")


def nan_actual(template: Template):
    """The actual cell of the numeric row as the number NaN (a <v> openpyxl reads as float('nan'))."""
    ref = f"F{template.numeric_row + 1}"
    cell = re.compile(f'<c r="{ref}"(?:[^>]*?/>|[^>]*>.*?</c>)'.encode(), re.DOTALL)

    def change(content: bytes) -> bytes:
        return cell.sub(f'<c r="{ref}" t="n"><v>NaN</v></c>'.encode(), content, count=1)

    return change
