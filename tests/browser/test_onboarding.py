"""A new municipality brings its plan in, in the browser, as its DX office would (issue: onboarding).

The portal's administrator registers 美郷町 by its 団体コード; the new HQ sets a password through the
one-time link and logs in, downloads the blank plan workbook, uploads a filled one (first with one mistake,
reported in Japanese naming the sheet, row and column), reads what the import will create, imports it as
a draft, previews its pages (which residents cannot see), publishes it, and finds it on the public site.

The plan is tests/data/onboarding_plan.json (the first basic policy of 美郷町's action plan, measures 1-1
to 1-3, from fixtures/054348-misato-dx-action-plan.json), written into a workbook by the exporter
(kpis.sheets.plan_workbook) as test-artifacts/browser/<test>/onboarding_plan.xlsx, next to the screenshots.
"""

import io
import json
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from openpyxl import load_workbook

from kpis.sheets.plan_workbook import build_plan_workbook, priority_area_names
from plans.models import Plan
from tests.personas import PASSWORD

pytestmark = pytest.mark.browser

PLAN = Path(__file__).resolve().parent.parent / "data" / "onboarding_plan.json"
CODE = "054348"  # 美郷町
TARGET_HEADING = "目標（令和7年度）"
KPI = "オンライン手続数"  # measure 1-1, printed target 100件 in 令和7年度
MISTAKE = "１００件？"
ERROR = "指標シート {row}行目『目標（令和7年度）』: 取組 1-1 の指標『オンライン手続数』の目標『１００件？』を数値として読めません"
NEW_PASSWORD = "misato-dx-2025-onboarding"


def plan_workbook_file(folder: Path, target_text: str) -> tuple[Path, int]:
    """The plan written by the workbook exporter, with 1-1's target of 令和7年度 typed as target_text;
    (the file, the row of that KPI in the 指標 sheet)."""
    document = json.loads(PLAN.read_text(encoding="utf-8"))
    workbook = build_plan_workbook(document, priority_areas=priority_area_names())
    sheet = workbook["指標"]
    headings = [cell.value for cell in sheet[1]]
    column = headings.index(TARGET_HEADING) + 1
    row = next(r for r in range(2, sheet.max_row + 1) if KPI in (sheet.cell(r, c).value for c in range(1, 4)))
    sheet.cell(row, column).value = target_text
    path = folder / "onboarding_plan.xlsx"
    workbook.save(path)
    return path, row


def test_a_new_municipality_registers_imports_previews_and_publishes_its_plan(transactional_db, pages):
    root = User.objects.create_superuser("portal-admin", "admin@example.jp", PASSWORD)

    # 1. The portal's administrator registers the municipality by its code alone.
    admin = pages.open("/manage/plans/municipality/", user=root)
    admin.get_by_role("link", name="団体コードで追加").click()
    admin.get_by_label("全国地方公共団体コード").fill(CODE)
    admin.get_by_role("button", name="登録する").click()
    assert admin.locator("#registration h2").text_content() == "秋田県美郷町（054348）"
    link = admin.locator("#password-set-link").input_value()
    assert re.fullmatch(r"http://[^/]+/manage/password-set/[^/]+/[^/]+/", link)
    pages.screenshot(admin, "01-registered-by-code")

    # 2. The new HQ sets a password with the one-time link and logs in.
    hq = pages.open(link)
    assert "misato-hq のパスワードを決めてください" in hq.content()
    assert hq.locator("#site-name").text_content().strip() == "DX進捗ポータル 職員用"
    hq.get_by_label("新しいパスワード:", exact=True).fill(NEW_PASSWORD)
    hq.get_by_label("新しいパスワード（確認）:").fill(NEW_PASSWORD)
    pages.screenshot(hq, "02-password-set")
    hq.get_by_role("button", name="パスワードを設定する").click()
    assert "パスワードを設定しました" in hq.locator(".messagelist").text_content()
    hq.locator("#id_username").fill("misato-hq")
    hq.locator("#id_password").fill(NEW_PASSWORD)
    hq.locator("input[type=submit]").click()
    assert "misato-hq" in hq.locator("#user-tools").text_content()

    # 3. The blank workbook, from 計画の取込: the municipality is filled in already.
    hq.goto("/manage/plans/plan/")
    hq.get_by_role("link", name="計画の取込").click()
    pages.screenshot(hq, "03-import-page")
    with hq.expect_download() as download:
        hq.get_by_role("link", name="空の計画のワークブック（.xlsx）").click()
    assert download.value.suggested_filename == "054348-plan-workbook.xlsx"
    blank = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    items = {row[0]: row[1] for row in blank["計画"].iter_rows(values_only=True) if row[0]}
    assert (items["団体コード"], items["団体名"]) == ("054348", "美郷町")

    # 4. The filled workbook with one mistake: the file's name and size while it is sent, then the
    # mistake in Japanese, and nothing written.
    mistaken, row = plan_workbook_file(pages.artifacts, MISTAKE)
    hq.locator("#id_plan_file").set_input_files(mistaken)
    hq.evaluate("window.addEventListener('submit', (event) => event.preventDefault(), {once: true})")
    hq.get_by_role("button", name="内容を確認する").click()
    progress = hq.locator(".sheet-progress").last
    assert progress.is_visible()
    assert re.match(r"onboarding_plan\.xlsx（\d+ KB）を送って、内容を確かめています。", progress.text_content().strip())
    pages.screenshot(hq, "04-progress-while-sending")
    hq.reload()
    hq.locator("#id_plan_file").set_input_files(mistaken)
    hq.get_by_role("button", name="内容を確認する").click()
    assert hq.locator("#problems h2").text_content() == "取り込めません（1件の問題。何も書き込んでいません）"
    assert hq.locator("#problems li").all_text_contents() == [
        ERROR.format(row=row)
        + "（数値と単位「件」か「－」で書きます。表記を残すときは評価シートの「目標の数値」に数値を）"
    ]
    pages.screenshot(hq, "05-mistake-reported")
    assert not Plan.objects.exists()

    # 5. Corrected (full-width digits, as the printed plan has them): the preview of what is created.
    corrected, _ = plan_workbook_file(pages.artifacts, "１００件")
    hq.locator("#id_plan_file").set_input_files(corrected)
    hq.get_by_role("button", name="内容を確認する").click()
    heading = hq.locator("#preview h2").text_content()
    assert heading == "美郷町DX推進基本計画 アクションプラン（新しい計画）: 取り込むと次のようになります"
    measures_row = hq.locator("#preview tbody tr").nth(1)
    assert measures_row.locator("td").first.text_content() == "3取組 1-1、取組 1-2、取組 1-3"
    pages.screenshot(hq, "06-preview-of-the-import")
    hq.get_by_role("button", name="この内容で取り込む").click()
    assert "美郷町 美郷町DX推進基本計画 アクションプランを取り込みました" in hq.locator(".messagelist").text_content()
    assert "状態: 下書き" in hq.locator(".messagelist").text_content()
    plan = Plan.objects.get(municipality__code=CODE)
    assert (plan.status, plan.measures.count()) == (Plan.Status.DRAFT, 3)
    pages.screenshot(hq, "07-imported-as-a-draft")

    # 6. Residents do not see the draft; its staff preview its pages.
    public_path = "/misato/dx-action-plan/"
    resident = pages.open(public_path)
    assert resident.locator("h1").text_content() != plan.title  # the 404 page
    hq.get_by_role("link", name="ページをプレビューする").click()
    assert hq.url.endswith("/preview/misato/dx-action-plan/")
    banner = hq.locator(".preview-banner")
    assert (
        "この計画は下書きです。住民には見えず、美郷町の職員だけがこのプレビューで見られます。" in banner.text_content()
    )
    assert hq.locator("h1").text_content().startswith("美郷町DX推進基本計画 アクションプラン")
    pages.screenshot(hq, "08-preview-of-the-draft")
    hq.get_by_role("link", name=re.compile("行政手続きのオンライン化")).first.click()
    assert hq.url.endswith("/preview/misato/dx-action-plan/measures/1-1/")
    assert "100件" in hq.locator("main").text_content()  # the one number style of the public pages
    pages.screenshot(hq, "09-preview-of-a-measure")

    # 7. HQ publishes it from the preview; residents find it.
    hq.get_by_role("button", name="この計画を公開する").click()
    assert "美郷町DX推進基本計画 アクションプランを公開しました" in hq.locator(".messagelist").text_content()
    pages.screenshot(hq, "10-published")
    assert Plan.objects.get(pk=plan.pk).status == Plan.Status.PUBLISHED
    resident = pages.open(public_path)
    assert resident.locator("h1").text_content().startswith("美郷町DX推進基本計画 アクションプラン")
    assert resident.locator(".preview-banner").count() == 0
    pages.screenshot(resident, "11-public-plan-page")
    measure = pages.open(public_path + "measures/1-1/")
    assert "100件" in measure.locator("main").text_content()
    pages.screenshot(measure, "12-public-measure-page")
    for page in (admin, hq, resident, measure):
        assert pages.console_errors(page) == [], (page.url, pages.console_errors(page))
