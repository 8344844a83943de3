from axes.apps import AppConfig as AxesConfig
from django.apps import AppConfig


class StaffConfig(AppConfig):
    """The staff product: every ModelAdmin, role scoping, the entry and board screens, spreadsheet wiring.

    Writes through the domain's services; never imports the public site. Django's admin autodiscovery
    imports ``dxportal.staff.admin``, which registers every model."""

    name = "dxportal.staff"
    label = "staff"
    verbose_name = "職員用管理画面"


class LoginRecordsConfig(AxesConfig):
    """django-axes (login attempts and lockouts), under a Japanese section name in the admin; its model and
    field names are in locale/ja, as django-axes ships no Japanese."""

    verbose_name = "ログイン管理"
