"""Names on English pages: municipalities (``Municipality.name_en``), prefectures and SDGs goals.

The prefectures' and goals' English names are the official ones (the prefectures as their governments
romanise them; the goals' short titles as the United Nations publish them), keyed by the Japanese name
or the goal number that the data carries.
"""

from django.utils.translation import get_language


def in_english() -> bool:
    return (get_language() or "").startswith("en")


PREFECTURES_EN = {
    "北海道": "Hokkaido",
    "青森県": "Aomori",
    "岩手県": "Iwate",
    "宮城県": "Miyagi",
    "秋田県": "Akita",
    "山形県": "Yamagata",
    "福島県": "Fukushima",
    "茨城県": "Ibaraki",
    "栃木県": "Tochigi",
    "群馬県": "Gunma",
    "埼玉県": "Saitama",
    "千葉県": "Chiba",
    "東京都": "Tokyo",
    "神奈川県": "Kanagawa",
    "新潟県": "Niigata",
    "富山県": "Toyama",
    "石川県": "Ishikawa",
    "福井県": "Fukui",
    "山梨県": "Yamanashi",
    "長野県": "Nagano",
    "岐阜県": "Gifu",
    "静岡県": "Shizuoka",
    "愛知県": "Aichi",
    "三重県": "Mie",
    "滋賀県": "Shiga",
    "京都府": "Kyoto",
    "大阪府": "Osaka",
    "兵庫県": "Hyogo",
    "奈良県": "Nara",
    "和歌山県": "Wakayama",
    "鳥取県": "Tottori",
    "島根県": "Shimane",
    "岡山県": "Okayama",
    "広島県": "Hiroshima",
    "山口県": "Yamaguchi",
    "徳島県": "Tokushima",
    "香川県": "Kagawa",
    "愛媛県": "Ehime",
    "高知県": "Kochi",
    "福岡県": "Fukuoka",
    "佐賀県": "Saga",
    "長崎県": "Nagasaki",
    "熊本県": "Kumamoto",
    "大分県": "Oita",
    "宮崎県": "Miyazaki",
    "鹿児島県": "Kagoshima",
    "沖縄県": "Okinawa",
}

SDG_GOALS_EN = {
    1: "No poverty",
    2: "Zero hunger",
    3: "Good health and well-being",
    4: "Quality education",
    5: "Gender equality",
    6: "Clean water and sanitation",
    7: "Affordable and clean energy",
    8: "Decent work and economic growth",
    9: "Industry, innovation and infrastructure",
    10: "Reduced inequalities",
    11: "Sustainable cities and communities",
    12: "Responsible consumption and production",
    13: "Climate action",
    14: "Life below water",
    15: "Life on land",
    16: "Peace, justice and strong institutions",
    17: "Partnerships for the goals",
}


def prefecture_name(name: str, english: bool) -> str:
    """秋田県, or Akita on English pages."""
    return PREFECTURES_EN.get(name, name) if english else name


def municipality_name(municipality, english: bool) -> str:
    """能代市, or its ``name_en`` (Noshiro) on English pages when it has one."""
    return (municipality.name_en or municipality.name) if english else municipality.name


def place_name(municipality, english: bool) -> str:
    """秋田県能代市; Noshiro, Akita on English pages (a prefecture itself: Akita Prefecture)."""
    if not english:
        return f"{municipality.prefecture}{municipality.name}"
    prefecture = prefecture_name(municipality.prefecture, True)
    if municipality.name == municipality.prefecture:
        return f"{prefecture} Prefecture"
    return f"{municipality_name(municipality, True)}, {prefecture}"


def sdg_goal_name(number: int, name: str, english: bool) -> str:
    return SDG_GOALS_EN.get(number, name) if english else name
