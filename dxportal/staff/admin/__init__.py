"""Every ModelAdmin of the portal, registered when Django's admin autodiscovers this app."""

from django.contrib import admin

from dxportal.staff.admin import kpis, measures, plans  # noqa: F401  (registration happens on import)

# The staff product carries the portal's name, not Django's ("Django 管理サイト").
admin.site.site_header = "DX進捗ポータル 職員用"
admin.site.site_title = "DX進捗ポータル 職員用"
admin.site.index_title = "計画・取組・実績の管理"
