"""The staff product in one language, and the entry screen a clerk can follow (issue 20): Japanese history
pages, labels and names; submit beside save, a confirmation naming blank KPIs, read-only after
submitting with the reason, the return reason on the home page, the import's year from the template."""

import re

import pytest
from django.urls import reverse

from kpis import workflow
from kpis.entry import ActualEntry, save_entries
from kpis.models import DepartmentReport, IndicatorValue
from measures.models import Measure
from plans.models import Department
from tests.personas import kpi

pytestmark = pytest.mark.django_db

FY = 2025


def entry_url(plan, **query):
    extra = "".join(f"&{key}={value}" for key, value in query.items())
    return f"{reverse('admin:kpis_entry')}?plan={plan.pk}&fy={FY}{extra}"


def kikaku():
    return Department.objects.get(municipality__code="052027", name="企画部")


def test_save_and_submit_sit_together_at_the_foot_of_the_form(client, roles_plan, staff_b):
    client.force_login(staff_b)
    html = client.get(entry_url(roles_plan)).content.decode()
    actions = re.search(r'<div class="submit-row entry-actions">(.*?)</div>', html, re.S).group(1)
    assert '<input type="submit" value="保存" class="default" name="save">' in actions
    assert f'name="submit_department" value="{kikaku().pk}"' in actions
    assert "保存して企画部として提出する" in actions
    assert html.index('name="actual-') < html.index("entry-actions")  # below the rows, in the same form


def test_submit_saves_first_and_asks_naming_the_blank_kpis(client, roles_plan, staff_a, staff_b):
    department = Department.objects.get(municipality__code="052027", name="地域情報課")
    client.force_login(staff_a)
    key = kpi(roles_plan, "出張申請窓口の開催回数").pk
    response = client.post(entry_url(roles_plan), {f"actual-{key}": "2", "submit_department": department.pk})
    assert response["Location"] == entry_url(roles_plan, confirm_submit=department.pk)
    assert IndicatorValue.objects.get(indicator_id=key, fiscal_year=FY).actual_text == "2"  # saved
    assert not DepartmentReport.objects.filter(department=department).exists()  # not submitted yet
    html = client.get(response["Location"]).content.decode()
    assert "地域情報課の 2 指標のうち 1 指標の実績が空欄です。空欄のまま提出しますか" in html
    assert "<li>1-(1)-① マイナンバーカードの普及促進: <strong>手法の検討</strong></li>" in html
    assert ">空欄のまま提出する</button>" in html and ">入力に戻る</a>" in html
    response = client.post(entry_url(roles_plan), {"submit_department": department.pk, "blank_confirmed": "1"})
    assert DepartmentReport.objects.get(department=department).status == "submitted"


def test_nothing_blank_submits_at_once(client, roles_plan, staff_b):
    client.force_login(staff_b)
    key = kpi(roles_plan, "要望書の提出件数").pk
    response = client.post(entry_url(roles_plan), {f"actual-{key}": "3", "submit_department": kikaku().pk})
    assert response["Location"] == entry_url(roles_plan)
    assert DepartmentReport.objects.get(department=kikaku()).status == "submitted"
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == [
        "保存しました（新規 0 件、変更 1 件、変更なし 0 件）",
        "企画部の令和7年度 (2025)の実績を提出しました",
    ]


def test_after_submitting_the_rows_are_text_and_the_screen_says_why(client, roles_plan, staff_b):
    key = kpi(roles_plan, "要望書の提出件数").pk
    save_entries(staff_b, roles_plan, FY, [ActualEntry(key, FY, "3")])
    workflow.submit(staff_b, roles_plan, FY, kikaku())
    client.force_login(staff_b)
    html = client.get(entry_url(roles_plan)).content.decode()
    assert f'name="actual-{key}"' not in html
    assert f'<span class="readonly-value" id="actual-{key}">3</span>' in html
    assert '<strong class="report-status">企画部: 提出済み</strong>' in html
    assert "推進本部の確認待ちです。提出後は変更できません（直すときは推進本部に差戻しを依頼してください）" in html
    assert '<p class="readonly-reason" id="readonly-reason">担当課の報告が提出済みのため変更できません' in html
    assert "entry-actions" not in html and "保存して企画部として提出する" not in html


def test_the_return_reason_is_on_the_staff_home_page(client, roles_plan, staff_b, hq_x):
    report = workflow.submit(staff_b, roles_plan, FY, kikaku())
    client.force_login(hq_x)
    home = client.get(reverse("admin:index")).content.decode()
    assert "<h2>対応が必要な報告</h2>" in home
    assert "に提出されました。確認して承認か差戻しをしてください" in home
    workflow.return_(hq_x, report, "根拠資料のURLを添えてください")
    client.force_login(staff_b)
    home = client.get(reverse("admin:index")).content.decode()
    assert '<p class="return-reason"><strong>差戻しの理由:</strong> 根拠資料のURLを添えてください</p>' in home
    assert (
        f'href="{reverse("admin:kpis_entry")}?plan={roles_plan.pk}&amp;fy={FY}">企画部 テスト計画 令和7年度 (2025)</a>'
        in home
    )
    entry = client.get(entry_url(roles_plan)).content.decode()
    assert '<p class="return-reason"><strong>差戻しの理由:</strong> 根拠資料のURLを添えてください</p>' in entry


def test_history_pages_speak_japanese(client, roles_plan, staff_b, hq_x):
    key = kpi(roles_plan, "要望書の提出件数").pk
    save_entries(staff_b, roles_plan, FY, [ActualEntry(key, FY, "3", note="県へ提出")])
    value = IndicatorValue.objects.get(indicator_id=key, fiscal_year=FY)
    client.force_login(hq_x)
    html = client.get(reverse("admin:kpis_indicatorvalue_history", args=[value.pk])).content.decode()
    assert "<title>変更履歴: 要望書の提出件数 2025 | DX進捗ポータル 職員用</title>" in html
    header = re.search(r"<thead>(.*?)</thead>", html, re.S).group(1)
    assert re.findall(r'<th scope="col">([^<]*)</th>', header) == [
        "日時", "種別", "変更者", "理由", "変更内容", "その時点の内容"
    ]  # fmt: skip
    assert '<td class="history-type">変更</td>' in html and '<td class="history-type">作成</td>' in html
    assert "<li><strong>実績（記載どおり）:</strong> （空欄）&nbsp;&rarr;&nbsp;&nbsp;3</li>" in html
    for english in ("View history", "Changed by", "Change reason", "Object", "Comment", "None"):
        assert english not in html


def test_labels_and_breadcrumbs_without_english(client, roles_plan, hq_x):
    value = IndicatorValue.objects.filter(indicator__plan=roles_plan).first()
    client.force_login(hq_x)
    pages = [
        reverse("admin:kpis_indicatorvalue_change", args=[value.pk]),
        reverse("admin:kpis_indicator_change", args=[value.indicator_id]),
        reverse("admin:kpis_indicatorvalue_changelist"),
        reverse("admin:measures_measure_delete", args=[Measure.objects.filter(plan=roles_plan).first().pk]),
        reverse("admin:kpis_indicatorvalue_import"),
        entry_url(roles_plan),
        f"{reverse('admin:kpis_board')}?plan={roles_plan.pk}&fy={FY}",
    ]
    for page in pages:
        html = client.get(page).content.decode()
        for english in ("Indicator:", "Measure:", "Plan:", "Position", "Kpis", "KPIS", "Measure_tags", "インポート"):
            assert english not in html, (page, english)
    form = client.get(pages[0]).content.decode()
    assert '<label class="required" for="id_indicator">指標:</label>' in form
    changelist = client.get(pages[2]).content.decode()
    assert ">実績の取込</a></li>" in changelist


def test_the_import_page_takes_the_year_from_the_template(client, roles_plan, staff_b):
    client.force_login(staff_b)
    html = client.get(reverse("admin:kpis_indicatorvalue_import")).content.decode()
    assert "<title>実績の取込 | DX進捗ポータル 職員用</title>" in html
    assert "年度はテンプレートの年度です" in html
    assert 'name="fiscal_year"' not in html
    assert "読み取る列:" in html


def test_superusers_see_the_login_records_in_japanese(admin_client):
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert (
        '<a href="/manage/axes/" class="section" title="ログイン管理 アプリケーション内のモデル">ログイン管理</a>'
        in html
    )
    assert ">ログインの試行</a>" in html and ">ログインの失敗</a>" in html
    for english in ("Axes", "Access attempts", "Access failures", "Access logs"):
        assert english not in html
