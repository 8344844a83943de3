from django.apps import AppConfig


class PublicConfig(AppConfig):
    """The public site: every page residents see, its URLs, template tags, open data and page cache.

    Reads the domain (plans, measures, kpis); never imports the staff admin."""

    name = "dxportal.public"
    label = "public"
    verbose_name = "公開サイト"
