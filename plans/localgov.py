"""全国地方公共団体コード (JIS X 0402): the official list, its check digit, and registering a municipality.

The list is bundled as data (plans/data/local_government_codes.csv; its source and date are in
plans/data/README.md). ``register_municipality`` makes a municipality from its code alone: name and
prefecture from the list, a slug romanised from the kana the list gives (ﾉｼﾛｼ → noshiro), and the
municipality's DX HQ user, who sets a password through a one-time link.
"""

import csv
import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from plans.models import HQMembership, Municipality
from plans.validators import validate_municipality_slug

CODES_CSV = Path(__file__).resolve().parent / "data" / "local_government_codes.csv"
WEIGHTS = (6, 5, 4, 3, 2)
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# The kana of a municipality's kind, dropped from its slug as the seed slugs do (能代市 noshiro).
CITY_SUFFIXES = {"市": ("シ",), "区": ("ク",), "町": ("マチ", "チョウ"), "村": ("ムラ", "ソン")}
# A prefecture keeps its kind, so that 秋田県 (akita-ken) and 秋田市 (akita) differ.
PREFECTURE_SUFFIXES = {"県": ("ケン", "ken"), "府": ("フ", "fu"), "都": ("ト", "to")}


class LocalGovernmentError(ValueError):
    """A code that cannot be registered; the message is the Japanese sentence to show."""


def check_digit(first_five: str) -> int:
    """JIS X 0402: weights 6,5,4,3,2 on the first five digits; digit = (11 - sum mod 11) mod 10."""
    total = sum(int(d) * w for d, w in zip(first_five, WEIGHTS, strict=True))
    return (11 - total % 11) % 10


def check_digit_ok(code: str) -> bool:
    return check_digit(code[:5]) == int(code[5])


@dataclass(frozen=True)
class LocalGovernment:
    code: str
    prefecture: str
    city: str  # "" for a prefecture itself
    prefecture_kana: str
    city_kana: str

    @property
    def name(self) -> str:
        return self.city or self.prefecture


@functools.cache
def local_governments() -> dict[str, LocalGovernment]:
    with CODES_CSV.open(encoding="utf-8", newline="") as handle:
        return {row["code"]: LocalGovernment(**row) for row in csv.DictReader(handle)}


def normalize_code(text: str) -> str:
    """Full-width digits and surrounding spaces as typed: '０５２０２７ ' → '052027'."""
    return unicodedata.normalize("NFKC", str(text or "")).strip()


def lookup(text: str) -> LocalGovernment:
    """The list's entry for a code; LocalGovernmentError (in Japanese) for a malformed or unknown one."""
    code = normalize_code(text)
    if re.fullmatch(r"[0-9]{5}", code):
        raise LocalGovernmentError(
            f"団体コード「{code}」は5桁です。検査数字を付けた6桁で入力してください（{code}{check_digit(code)}）"
        )
    if not re.fullmatch(r"[0-9]{6}", code):
        raise LocalGovernmentError(f"団体コード「{code}」は6桁の数字で入力してください（例: 052027）")
    if not check_digit_ok(code):
        raise LocalGovernmentError(
            f"団体コード「{code}」の検査数字（6桁目）が違います（{code[:5]} なら {code[:5]}{check_digit(code[:5])}）"
        )
    entry = local_governments().get(code)
    if entry is None:
        raise LocalGovernmentError(
            f"団体コード「{code}」は全国地方公共団体コードの一覧にありません（plans/data/README.md の一覧）"
        )
    return entry


# Hepburn as place names are written in English (Noshiro, Odate, Yurihonjo): no macrons, ō and ū plain.
KANA = {
    **dict(zip("アイウエオ", ["a", "i", "u", "e", "o"], strict=True)),
    **dict(zip("カキクケコ", ["ka", "ki", "ku", "ke", "ko"], strict=True)),
    **dict(zip("ガギグゲゴ", ["ga", "gi", "gu", "ge", "go"], strict=True)),
    **dict(zip("サシスセソ", ["sa", "shi", "su", "se", "so"], strict=True)),
    **dict(zip("ザジズゼゾ", ["za", "ji", "zu", "ze", "zo"], strict=True)),
    **dict(zip("タチツテト", ["ta", "chi", "tsu", "te", "to"], strict=True)),
    **dict(zip("ダヂヅデド", ["da", "ji", "zu", "de", "do"], strict=True)),
    **dict(zip("ナニヌネノ", ["na", "ni", "nu", "ne", "no"], strict=True)),
    **dict(zip("ハヒフヘホ", ["ha", "hi", "fu", "he", "ho"], strict=True)),
    **dict(zip("バビブベボ", ["ba", "bi", "bu", "be", "bo"], strict=True)),
    **dict(zip("パピプペポ", ["pa", "pi", "pu", "pe", "po"], strict=True)),
    **dict(zip("マミムメモ", ["ma", "mi", "mu", "me", "mo"], strict=True)),
    **dict(zip("ヤユヨ", ["ya", "yu", "yo"], strict=True)),
    **dict(zip("ラリルレロ", ["ra", "ri", "ru", "re", "ro"], strict=True)),
    **dict(zip("ワヰヱヲン", ["wa", "i", "e", "o", "n"], strict=True)),
    "ヴ": "vu",
}
SMALL_Y = {"ャ": "a", "ュ": "u", "ョ": "o"}
SMALL_VOWEL = {"ァ": "a", "ィ": "i", "ゥ": "u", "ェ": "e", "ォ": "o"}


def romanize(kana: str) -> str:
    """Katakana (half- or full-width) in lowercase Hepburn: ﾉｼﾛ → noshiro, ﾕﾘﾎﾝｼﾞｮｳ → yurihonjo."""
    text = unicodedata.normalize("NFKC", kana)
    syllables: list[str] = []
    double_next = False
    for char in text:
        if char == "ッ":
            double_next = True
            continue
        if char in SMALL_Y and syllables:
            stem = syllables.pop()
            # シャ sha, チャ cha, ジャ ja; キャ kya
            syllable = stem[:-1] + SMALL_Y[char] if stem in ("shi", "chi", "ji") else stem[:-1] + "y" + SMALL_Y[char]
        elif char in SMALL_VOWEL and syllables:
            syllable = syllables.pop()[:-1] + SMALL_VOWEL[char]  # フィ fi, ティ ti
        elif char == "ー" or (char in "ウオ" and syllables and syllables[-1][-1:] == "o"):
            continue  # long vowels written plain: ﾄｳｷｮｳ tokyo, ｵｵﾀﾞﾃ odate
        elif char == "ウ" and syllables and syllables[-1][-1:] == "u":
            continue  # ﾕｳｷ yuki
        elif char in KANA:
            syllable = KANA[char]
        else:
            continue  # spaces and marks the kana of a name may carry
        if double_next:
            syllable = ("t" if syllable.startswith("ch") else syllable[0]) + syllable
            double_next = False
        syllables.append(syllable)
    return "".join(syllables)


def strip_suffix(kana: str, name: str, suffixes: dict[str, tuple[str, ...]]) -> str:
    kana = unicodedata.normalize("NFKC", kana)
    for ending in suffixes.get(name[-1:], ()):
        if kana.endswith(ending) and len(kana) > len(ending):
            return kana[: -len(ending)]
    return kana


def base_slug(entry: LocalGovernment) -> str:
    """noshiro for 能代市 (ﾉｼﾛｼ), misato for 美郷町 (ﾐｻﾄﾁｮｳ), akita-ken for 秋田県, hokkaido for 北海道."""
    if entry.city:
        return romanize(strip_suffix(entry.city_kana, entry.city, CITY_SUFFIXES))
    kana = unicodedata.normalize("NFKC", entry.prefecture_kana)
    ending, roman = PREFECTURE_SUFFIXES.get(entry.prefecture[-1:], ("", ""))
    if ending and kana.endswith(ending):
        return f"{romanize(kana[: -len(ending)])}-{roman}"
    return romanize(kana)


def prefecture_slug(entry: LocalGovernment) -> str:
    kana = unicodedata.normalize("NFKC", entry.prefecture_kana)
    ending = PREFECTURE_SUFFIXES.get(entry.prefecture[-1:], ("",))[0]
    return romanize(kana[: -len(ending)] if ending and kana.endswith(ending) else kana)


def slug_problem(slug: str, *, code: str = "") -> str | None:
    """Why a slug cannot be a municipality's (format, a path of the portal, taken), in Japanese."""
    if not SLUG.match(slug):
        return f"スラッグ「{slug}」は英小文字・数字とハイフンで書いてください（例: noshiro、misato-shimane）"
    try:
        validate_municipality_slug(slug)
    except ValidationError:
        return f"スラッグ「{slug}」はポータル自身のページのパスと同じため使えません"
    other = Municipality.objects.filter(slug=slug).exclude(code=code).first()
    if other is not None:
        return f"スラッグ「{slug}」は既に{other}（{other.code}）が使っています"
    return None


def free_slug(entry: LocalGovernment) -> str:
    """The romanised name; when taken, with its prefecture (misato-shimane), then with its code."""
    base = base_slug(entry)
    for candidate in (base, f"{base}-{prefecture_slug(entry)}", f"{base}-{entry.code}"):
        if slug_problem(candidate, code=entry.code) is None:
            return candidate
    return f"lg-{entry.code}"


@dataclass(frozen=True)
class Registration:
    municipality: Municipality
    user: object  # the HQ user
    password_set_path: str  # the one-time link, under the admin prefix


def password_set_path(user) -> str:
    """The one-time link that lets a user choose a password (valid until used or PASSWORD_RESET_TIMEOUT)."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("password-set", kwargs={"uidb64": uidb64, "token": default_token_generator.make_token(user)})


def registration_problems(code: str, *, slug: str = "", username: str = "") -> list[str]:
    """Every reason the code (with the chosen slug and user name) cannot be registered, in Japanese."""
    try:
        entry = lookup(code)
    except LocalGovernmentError as error:
        return [str(error)]
    problems = []
    existing = Municipality.objects.filter(code=entry.code).first()
    if existing is not None:
        problems.append(f"団体コード「{entry.code}」の{existing}は既に登録されています（スラッグ {existing.slug}）")
    if slug:
        problem = slug_problem(slug, code=entry.code)
        if problem:
            problems.append(problem)
    username = username or f"{slug or free_slug(entry)}-hq"
    if get_user_model().objects.filter(username=username).exists():
        problems.append(f"ユーザー名「{username}」は既に使われています。別のユーザー名を指定してください")
    return problems


@transaction.atomic
def register_municipality(*, code: str, slug: str = "", username: str = "", email: str = "") -> Registration:
    """Create the municipality of ``code`` and its DX HQ user (no usable password until the link is used).

    Raises LocalGovernmentError with every problem (one per line) and writes nothing when it cannot.
    """
    problems = registration_problems(code, slug=slug, username=username)
    if problems:
        raise LocalGovernmentError("\n".join(problems))
    entry = lookup(code)
    slug = slug or free_slug(entry)
    municipality = Municipality.objects.create(
        code=entry.code,
        name=entry.name,
        name_en=base_slug(entry).replace("-", " ").title() if entry.city else "",
        prefecture=entry.prefecture,
        slug=slug,
    )
    user = get_user_model()(username=username or f"{slug}-hq", email=email, is_staff=True)
    user.set_unusable_password()
    user.save()
    HQMembership.objects.create(user=user, municipality=municipality)
    return Registration(municipality=municipality, user=user, password_set_path=password_set_path(user))
