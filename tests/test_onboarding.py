"""Registering a municipality by its 団体コード: the official list, the check digit, slugs, the HQ user."""

import re

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.urls import reverse

from plans.localgov import (
    LocalGovernmentError,
    base_slug,
    check_digit_ok,
    local_governments,
    lookup,
    register_municipality,
    romanize,
)
from plans.models import HQMembership, Municipality
from tests.personas import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_bundled_list_holds_every_prefecture_and_municipality_with_valid_check_digits():
    entries = local_governments().values()
    assert sum(1 for e in entries if not e.city) == 47
    assert sum(1 for e in entries if e.city) == 1741
    assert all(check_digit_ok(e.code) for e in entries)


@pytest.mark.parametrize(
    "code, name, prefecture, slug",
    [
        ("052027", "能代市", "秋田県", "noshiro"),
        ("052019", "秋田市", "秋田県", "akita"),
        ("052116", "潟上市", "秋田県", "katagami"),
        ("054348", "美郷町", "秋田県", "misato"),
        ("221309", "浜松市", "静岡県", "hamamatsu"),
        ("052108", "由利本荘市", "秋田県", "yurihonjo"),
        ("131016", "千代田区", "東京都", "chiyoda"),
        ("130001", "東京都", "東京都", "tokyo-to"),
        ("010006", "北海道", "北海道", "hokkaido"),
    ],
)
def test_name_prefecture_and_slug_come_from_the_list(code, name, prefecture, slug):
    entry = lookup(code)
    assert (entry.name, entry.prefecture, base_slug(entry)) == (name, prefecture, slug)


@pytest.mark.parametrize(
    "kana, roman",
    [("ﾉｼﾛ", "noshiro"), ("ｵｵﾀﾞﾃ", "odate"), ("ﾄｳｷｮｳ", "tokyo"), ("ﾎｯｶｲﾄﾞｳ", "hokkaido"), ("ﾆｲｶﾞﾀ", "niigata")],
)
def test_romanisation_follows_place_name_hepburn(kana, roman):
    assert romanize(kana) == roman


@pytest.mark.parametrize(
    "code, message",
    [
        ("221300", "団体コード「221300」の検査数字（6桁目）が違います（22130 なら 221309）"),
        ("999997", "団体コード「999997」は全国地方公共団体コードの一覧にありません（plans/data/README.md の一覧）"),
        ("22130", "団体コード「22130」は5桁です。検査数字を付けた6桁で入力してください（221309）"),
        ("浜松市", "団体コード「浜松市」は6桁の数字で入力してください（例: 052027）"),
    ],
)
def test_bad_codes_are_refused_in_japanese(code, message):
    with pytest.raises(LocalGovernmentError) as caught:
        lookup(code)
    assert str(caught.value) == message


def test_full_width_digits_are_read():
    assert lookup("２２１３０９").name == "浜松市"


def test_add_municipality_registers_the_municipality_and_its_hq_user(capsys):
    call_command("add_municipality", "221309")
    municipality = Municipality.objects.get(code="221309")
    assert (municipality.name, municipality.prefecture, municipality.slug, municipality.name_en) == (
        "浜松市",
        "静岡県",
        "hamamatsu",
        "Hamamatsu",
    )
    user = User.objects.get(username="hamamatsu-hq")
    assert user.is_staff and not user.is_superuser and not user.has_usable_password()
    assert HQMembership.objects.filter(user=user, municipality=municipality).exists()
    out = capsys.readouterr().out
    assert "221309 静岡県浜松市: スラッグ hamamatsu" in out
    assert re.search(r"パスワード設定用のリンク（1回限り）: /manage/password-set/[\w-]+/[\w-]+/", out)


def test_a_taken_slug_gets_the_prefecture_then_the_code():
    first = register_municipality(code="054348").municipality  # 秋田県美郷町
    second = register_municipality(code="324485").municipality  # 島根県美郷町
    assert (first.slug, second.slug) == ("misato", "misato-shimane")
    Municipality.objects.create(code="999997", name="試験", prefecture="試験", slug="misato-miyazaki")
    assert register_municipality(code="454311").municipality.slug == "misato-454311"  # 宮崎県美郷町


def test_slug_option_overrides_and_is_checked():
    register_municipality(code="052027")
    with pytest.raises(CommandError) as caught:
        call_command("add_municipality", "221309", "--slug", "noshiro", "--username", "hama")
    assert str(caught.value) == "スラッグ「noshiro」は既に秋田県能代市（052027）が使っています"
    with pytest.raises(CommandError) as caught:
        call_command("add_municipality", "221309", "--slug", "Hamamatsu City")
    assert (
        str(caught.value)
        == "スラッグ「Hamamatsu City」は英小文字・数字とハイフンで書いてください（例: noshiro、misato-shimane）"
    )
    call_command("add_municipality", "221309", "--slug", "hamamatsu-city")
    assert Municipality.objects.get(code="221309").slug == "hamamatsu-city"


def test_an_already_registered_code_is_refused_and_nothing_is_written():
    register_municipality(code="221309")
    users = User.objects.count()
    with pytest.raises(CommandError) as caught:
        call_command("add_municipality", "221309")
    assert str(caught.value).splitlines() == [
        "団体コード「221309」の静岡県浜松市は既に登録されています（スラッグ hamamatsu）",
        "ユーザー名「hamamatsu-hq」は既に使われています。別のユーザー名を指定してください",
    ]
    assert Municipality.objects.filter(code="221309").count() == 1 and User.objects.count() == users


def test_the_password_set_link_works_once(client):
    registration = register_municipality(code="221309")
    link = registration.password_set_path
    assert link.startswith("/manage/password-set/")
    page = client.get(link, follow=True)
    assert "hamamatsu-hq のパスワードを決めてください" in page.content.decode()
    form_url = page.redirect_chain[-1][0]  # Django moves the token out of the URL into the session
    done = client.post(form_url, {"new_password1": PASSWORD, "new_password2": PASSWORD}, follow=True)
    assert "パスワードを設定しました。ユーザー名と新しいパスワードでログインしてください" in done.content.decode()
    assert User.objects.get(username="hamamatsu-hq").check_password(PASSWORD)
    again = client.get(link, follow=True)
    assert "このリンクは使えません。既に使われたか、有効期限が切れています。" in again.content.decode()


def test_the_admin_registers_by_code_for_superusers_only(client, superuser, hq_x):
    url = reverse("admin:plans_municipality_add_by_code")
    client.force_login(hq_x)
    assert client.get(url).status_code == 403
    client.force_login(superuser)
    changelist = client.get(reverse("admin:plans_municipality_changelist")).content.decode()
    assert f'href="{url}"' in changelist
    refused = client.post(url, {"code": "221300"}).content.decode()
    assert "団体コード「221300」の検査数字（6桁目）が違います（22130 なら 221309）" in refused
    assert not Municipality.objects.filter(code__startswith="22130").exists()
    page = client.post(url, {"code": "221309", "slug": "", "username": "", "email": "dx@example.jp"}).content.decode()
    assert "静岡県浜松市（221309）" in page
    assert re.search(r'value="http://testserver/manage/password-set/[\w-]+/[\w-]+/"', page)
    assert User.objects.get(username="hamamatsu-hq").email == "dx@example.jp"
