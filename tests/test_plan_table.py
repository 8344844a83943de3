"""The plan page's table and filter form, rendered from plans/plan_detail.html: exact rows, links and options."""

import pytest

from kpis.interchange.importer import import_plan
from plans.models import Department
from tests.test_public_pages import url

pytestmark = pytest.mark.django_db


@pytest.fixture
def odd_plan(mini_document):
    """The mini plan with a measure whose key, code and name need quoting or escaping, new and cross-listed."""
    measure = mini_document["measures"][1]
    measure.update(
        key="2-(1) ア&b%", code="2-(1)", name="要望<活動> & 調整", is_new=True, category_labels=["2", "1/(1)"]
    )
    mini_document["categories"][1]["name"] = "地域の<ＤＸ>と、とても長い名前の施策の柱でここから先は切り詰められる"
    return import_plan(mini_document).plan


def test_a_measure_row_links_to_its_page_with_its_badges_and_marks(client, odd_plan):
    body = client.get(url("plan", odd_plan)).content.decode()
    link = "/noshiro/mini/measures/2-(1)%20%E3%82%A2&b%25/"
    assert link == url("measure", odd_plan, key="2-(1) ア&b%")
    # Listed first under 2, then cross-listed (再掲) under 1/(1); no public mark in any year.
    primary = (
        f'\n    <tr>\n      <th scope="row"><a href="{link.replace("&", "&amp;")}">2-(1) 要望&lt;活動&gt; &amp; 調整</a>'
        ' <span class="badge">新規</span></th>\n      <td></td><td></td><td></td>\n    </tr>\n    '
    )
    relisted = primary.replace("新規</span>", '新規</span> <span class="badge">再掲</span>')
    assert body.count(primary) == 1 and body.count(relisted) == 1
    assert body.index(relisted) < body.index(primary)  # category 1/(1) comes before category 2


def test_marks_fill_the_year_cells(client, mini_plan):
    body = client.get(url("plan", mini_plan)).content.decode()
    not_achieved = (
        '<span class="mark mark-not_achieved"><span aria-hidden="true">↘</span>'
        ' <span class="mark-label">目標が未達成</span></span>'
    )
    achieved = (
        '<span class="mark mark-achieved"><span aria-hidden="true">→</span>'
        ' <span class="mark-label">目標を達成した</span></span>'
    )
    # plans/_mark.html ends with a newline, kept inside the cell
    assert f"\n      <td>{not_achieved}\n</td><td>{achieved}\n</td><td></td>\n    </tr>" in body


def test_the_chosen_options_are_selected_and_labels_escaped(client, odd_plan):
    department = Department.objects.get(municipality=odd_plan.municipality, name="地域情報課")
    body = client.get(
        url("plan", odd_plan), {"category": "2", "department": department.pk, "sdg": "16"}
    ).content.decode()
    assert (
        '<option value="2" selected>2 地域の&lt;ＤＸ&gt;と、とても長い名前の施策の柱でここから先は切…</option>' in body
    )
    assert '<option value="1">1 市民サービスのＤＸ</option>' in body
    assert f'<option value="{department.pk}" selected>地域情報課</option>' in body
    assert '<option value="16" selected>16. 平和と公正をすべての人に</option>' in body
    assert '<option value="11">11. 住み続けられるまちづくりを</option>' in body
