from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "measures"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "取組"  # the admin's section heading and breadcrumb
