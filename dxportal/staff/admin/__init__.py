"""Every ModelAdmin of the portal, registered when Django's admin autodiscovers this app."""

from dxportal.staff.admin import kpis, measures, plans  # noqa: F401  (registration happens on import)
