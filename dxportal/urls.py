from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import RedirectView
from django.views.i18n import set_language

from dxportal.public.sitemaps import municipality_sitemap, portal_sitemap, robots_txt, sitemap_index
from dxportal.staff.onboarding import PasswordSetView
from dxportal.views import healthz

urlpatterns = [
    # Before the admin's own patterns: the one-time link a new HQ user sets a password with.
    path(f"{settings.ADMIN_URL_PREFIX}password-set/<uidb64>/<token>/", PasswordSetView.as_view(), name="password-set"),
    path(settings.ADMIN_URL_PREFIX, admin.site.urls),
    # The language lives in the URL (/en/...), so the switch only redirects there; the cookie it also
    # sets changes no page. Without a CSRF token in the form, public pages stay free of Vary: Cookie.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("healthz", healthz, name="healthz"),
    # Outside the language prefix: each sitemap lists every page in both languages (hreflang).
    path("robots.txt", robots_txt, name="robots-txt"),
    path("sitemap.xml", sitemap_index, name="sitemap"),
    path("sitemap-portal.xml", portal_sitemap, name="sitemap-portal"),
    path("<slug:municipality>/sitemap.xml", municipality_sitemap, name="sitemap-municipality"),
    # Browsers ask for /favicon.ico on pages without an icon link (the admin): point them at the icon.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("favicon.svg"), permanent=True)),
]
urlpatterns += i18n_patterns(
    # A plan's pages as its own staff preview them (a draft before it is published): before the public
    # pages, whose <slug:municipality>/… would otherwise take /preview/… for a municipality's pages.
    path("preview/", include("dxportal.public.preview")),
    path("", include("dxportal.public.urls")),
    prefix_default_language=False,
)
