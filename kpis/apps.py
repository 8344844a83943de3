from django.apps import AppConfig


class KpisConfig(AppConfig):
    name = "kpis"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "指標・実績"  # the admin's section heading and breadcrumb
