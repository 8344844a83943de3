from django.apps import AppConfig


class StaffConfig(AppConfig):
    """The staff product: every ModelAdmin, role scoping, the entry and board screens, spreadsheet wiring.

    Writes through the domain's services; never imports the public site. Django's admin autodiscovery
    imports ``dxportal.staff.admin``, which registers every model."""

    name = "dxportal.staff"
    label = "staff"
    verbose_name = "職員用管理画面"
