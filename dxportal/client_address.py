"""The client's address behind the documented reverse proxy: what django-axes locks out.

Behind nginx every request comes from the proxy (REMOTE_ADDR is 127.0.0.1), so a lockout keyed on
REMOTE_ADDR would lock a named account for everyone after five bad passwords from anyone. nginx, as
docs/deploy.md configures it (``proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for``),
appends the address it received the request from to X-Forwarded-For; each further trusted proxy in
front of it appends its own. With TRUSTED_PROXY_COUNT = n, the n-th address from the right is
therefore the client as the outermost trusted proxy saw it. Addresses left of it were sent by the
client and are never trusted. With 0 (no proxy, the development server) or fewer addresses than
trusted proxies (a request that did not pass through them all): REMOTE_ADDR.
"""

from django.conf import settings


def client_ip(request) -> str | None:
    """The client address for django-axes (settings.AXES_CLIENT_IP_CALLABLE)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")
