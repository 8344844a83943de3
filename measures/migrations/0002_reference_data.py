from django.db import migrations

SDG_GOALS = [
    "貧困をなくそう", "飢餓をゼロに", "すべての人に健康と福祉を", "質の高い教育をみんなに",
    "ジェンダー平等を実現しよう", "安全な水とトイレを世界中に", "エネルギーをみんなに そしてクリーンに",
    "働きがいも経済成長も", "産業と技術革新の基盤をつくろう", "人や国の不平等をなくそう",
    "住み続けられるまちづくりを", "つくる責任 つかう責任", "気候変動に具体的な対策を", "海の豊かさを守ろう",
    "陸の豊かさも守ろう", "平和と公正をすべての人に", "パートナーシップで目標を達成しよう",
]

# The national 自治体DX推進計画's areas (as the Katagami seed lists them, plus later editions' additions).
PRIORITY_AREAS = [
    ("情報システムの標準化・共通化", "system-standardisation"),
    ("マイナンバーカードの普及促進", "my-number-card"),
    ("行政手続のオンライン化", "online-procedures"),
    ("AI・RPAの利用推進", "ai-rpa"),
    ("テレワークの推進", "telework"),
    ("セキュリティ対策の徹底", "security"),
    ("デジタル実装の取組の推進・地域社会のデジタル化", "digital-implementation"),
    ("デジタルデバイド対策", "digital-divide"),
    ("デジタル原則に基づく条例等の規制の点検・見直し", "digital-principles"),
    ("BPRの取組の徹底", "bpr"),
    ("オープンデータの推進・官民データ活用", "open-data"),
    ("フロントヤード改革", "front-yard-reform"),
    ("公金収納におけるeL-QRの活用", "el-qr"),
]


def create(apps, schema_editor):
    SdgGoal = apps.get_model("measures", "SdgGoal")
    PriorityArea = apps.get_model("measures", "PriorityArea")
    for number, name in enumerate(SDG_GOALS, start=1):
        SdgGoal.objects.update_or_create(number=number, defaults={"name": name})
    for name, slug in PRIORITY_AREAS:
        PriorityArea.objects.update_or_create(slug=slug, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("measures", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
