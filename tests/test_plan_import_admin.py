"""計画の取込 in the admin: HQ of the municipality uploads, reads the preview, confirms once."""

import io
import json
import re

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from kpis.models import PendingUpload
from kpis.sheets.plan_workbook import plan_workbook
from plans.models import Plan
from tests.database import database_dump
from tests.test_plan_workbook import small_workbook

pytestmark = pytest.mark.django_db

IMPORT = "admin:plans_plan_import"


def upload(client, data: bytes, name: str = "plan.xlsx"):
    return client.post(reverse(IMPORT), {"plan_file": SimpleUploadedFile(name, data)})


def confirm(client, page: str):
    token = re.search(r'name="token" value="([0-9a-f]+)"', page).group(1)
    filename = re.search(r'name="filename" value="([^"]+)"', page).group(1)
    return client.post(reverse("admin:plans_plan_import_confirm"), {"token": token, "filename": filename}, follow=True)


def text(response) -> str:
    return response.content.decode()


def test_hq_previews_then_confirms_a_new_plan(client, hq_x):
    client.force_login(hq_x)
    plans = Plan.objects.count()
    page = text(upload(client, small_workbook()))
    assert "能代市ＤＸ推進計画（第２期）（新しい計画）: 取り込むと次のようになります" in page
    assert re.search(r"<th scope=\"row\">取組</th>\s*<td>2<br><small>取組 1-1、取組 1-2</small></td>", page)
    assert Plan.objects.count() == plans and PendingUpload.objects.count() == 1  # nothing written yet
    done = confirm(client, page)
    plan = Plan.objects.get(municipality__code="052027", slug="dx-plan-2025")
    assert plan.status == Plan.Status.DRAFT and plan.measures.count() == 2
    assert "能代市 能代市ＤＸ推進計画（第２期）を取り込みました" in text(done)
    assert "状態: 下書き" in text(done)
    again = confirm(client, page)
    assert "この取込は既に確定したか、保存期限が切れています" in text(again)
    assert Plan.objects.filter(slug="dx-plan-2025").count() == 1


def test_the_preview_lists_what_changes_in_an_existing_plan(client, hq_x, roles_plan):
    workbook = plan_workbook(roles_plan)
    ws = workbook["取組"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "2-(1)-①")
    ws.cell(row, 3).value = "要望活動の強化"
    handle = io.BytesIO()
    workbook.save(handle)
    client.force_login(hq_x)
    before = database_dump()
    page = text(upload(client, handle.getvalue()))
    assert re.search(r"<th scope=\"row\">取組</th>\s*<td>0</td>\s*<td>1<br><small>取組 2-\(1\)-①</small></td>", page)
    pending = list(apps.get_models()).index(PendingUpload)
    after = database_dump()
    assert after[:pending] + after[pending + 1 :] == before[:pending] + before[pending + 1 :]  # only the upload waits
    confirm(client, page)
    assert roles_plan.measures.get(key="2-(1)-①").name == "要望活動の強化"


def test_problems_are_listed_with_sheet_and_row_and_nothing_waits(client, hq_x):
    client.force_login(hq_x)
    broken = small_workbook(
        指標=[
            ["取組キー", "指標名", "単位", "種類", "目標（令和7年度）"],
            ["1-1", "研修受講者数", "％", "数値", "８５％？"],
        ]
    )
    page = text(upload(client, broken))
    assert "取り込めません（1件の問題。何も書き込んでいません）" in page
    assert (
        "指標シート 2行目『目標（令和7年度）』: 取組 1-1 の指標『研修受講者数』の目標『８５％？』を数値として読めません"
        in page
    )
    assert PendingUpload.objects.count() == 0


def test_only_hq_of_the_municipality_imports_its_plan(client, hq_y, staff_a):
    client.force_login(hq_y)
    page = text(upload(client, small_workbook()))
    assert "秋田県能代市の計画は、秋田県能代市のDX推進本部の職員だけが取り込めます" in page
    assert not Plan.objects.filter(slug="dx-plan-2025").exists()
    client.force_login(staff_a)
    assert client.get(reverse(IMPORT)).status_code == 403


def test_the_changelist_links_the_import_and_the_blank_workbook_is_the_municipality_s(client, hq_x):
    client.force_login(hq_x)
    assert f'href="{reverse(IMPORT)}"' in text(client.get(reverse("admin:plans_plan_changelist")))
    response = client.get(reverse("admin:plans_plan_import_template"))
    assert response["Content-Disposition"] == 'attachment; filename="052027-plan-workbook.xlsx"'
    workbook = load_workbook(io.BytesIO(response.content))
    items = {row[0]: row[1] for row in workbook["計画"].iter_rows(values_only=True) if row[0]}
    assert (items["団体コード"], items["団体名"]) == ("052027", "能代市")


def test_a_json_document_goes_the_same_way(client, hq_x, mini_document):
    client.force_login(hq_x)
    mini_document["plan"]["slug"] = "mini-json"
    mini_document["measures"][0]["tags"] = ["マイナンバー"]
    page = text(upload(client, json.dumps(mini_document, ensure_ascii=False).encode(), "plan.json"))
    assert "取組 1-(1)-① の国の重点取組事項の1番目: 「マイナンバー」は国の重点取組事項にありません" in page


def test_the_page_speaks_english_with_lang_en_through_to_the_confirmation(client, hq_x, mini_document):
    client.force_login(hq_x)
    english = reverse(IMPORT) + "?lang=en"
    page = text(client.get(english))
    assert '<label for="id_plan_file">Plan file:</label>' in page and 'value="Check the file"' in page
    assert f'action="{english}"' in page and f'<a href="{reverse(IMPORT)}" lang="ja">日本語</a>' in page
    mini_document["plan"]["slug"] = "mini-json"
    mini_document["measures"][0]["kpis"][0]["values"][0]["target"] = {"text": "８５％？", "value": "x"}
    problems = text(
        client.post(english, {"plan_file": SimpleUploadedFile("p.json", json.dumps(mini_document).encode())})
    )
    assert "Cannot import (1 problem; nothing was written)" in problems
    assert (
        "measure 1-(1)-①, KPI &#x27;出張申請窓口の開催回数&#x27;, FY2022, target, number: must be a number" in problems
    )
    page = text(client.post(english, {"plan_file": SimpleUploadedFile("plan.xlsx", small_workbook())}))
    assert "能代市ＤＸ推進計画（第２期） (a new plan): importing it makes these changes" in page
    assert "<td>2<br><small>measure 1-1, measure 1-2</small></td>" in page
    assert 'action="/manage/plans/plan/import/confirm/?lang=en"' in page
    token = re.search(r'name="token" value="([0-9a-f]+)"', page).group(1)
    done = client.post(
        reverse("admin:plans_plan_import_confirm") + "?lang=en", {"token": token, "filename": "plan.xlsx"}, follow=True
    )
    assert 'Status: Draft. <a href="/en/preview/noshiro/dx-plan-2025/">Preview its pages</a>' in text(done)


def test_the_japanese_page_links_the_preview_and_shows_progress_while_a_file_is_sent(client, hq_x):
    client.force_login(hq_x)
    page = text(client.get(reverse(IMPORT)))
    assert '<a href="/manage/plans/plan/import/?lang=en" lang="en">English</a>' in page
    assert "/static/kpis/sheets/import_progress.js" in page
    assert (
        '<p class="sheet-progress" role="status" hidden><span data-file-name></span>（<span data-file-size></span>）'
        "を送って、内容を確かめています。大きなファイルは数十秒かかります… <progress></progress></p>"
    ) in page
    done = confirm(client, text(upload(client, small_workbook())))
    assert '状態: 下書き <a href="/preview/noshiro/dx-plan-2025/">ページをプレビューする</a>' in text(done)
