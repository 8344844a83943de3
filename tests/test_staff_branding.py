"""The admin is the staff product: the portal's name and Japanese section names, not Django's."""

import re

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_admin_index_carries_the_portal_name_and_japanese_sections(admin_client):
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert "<title>計画・取組・実績の管理 | DX進捗ポータル 職員用</title>" in html
    assert "Django" not in html
    sections = re.findall(r'class="section" title="[^"]*">([^<]+)</a>', html)
    assert {"計画", "取組", "指標・実績"} <= set(sections)
    assert not {"PLANS", "MEASURES", "KPIS", "Plans", "Measures", "Kpis"} & set(sections)


@pytest.mark.django_db
def test_app_breadcrumb_is_japanese(admin_client):
    html = admin_client.get("/manage/kpis/").content.decode()
    crumbs = " ".join(re.search(r'<div class="breadcrumbs">(.*?)</div>', html, re.S).group(1).split())
    assert crumbs == '<a href="/manage/">ホーム</a> &rsaquo; 指標・実績'
