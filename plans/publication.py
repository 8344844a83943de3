"""The publication queue: municipalities whose public pages must be written again as static files.

With ``STATIC_PUBLISH_ROOT`` set, every write that changes what residents see (the same writes that
call ``plans.generations.bump_after_commit``) records its municipality here, and the worker
(``manage.py publish_static --watch`` or ``--drain``, in ``dxportal.public``) rewrites that
municipality's files and the cross-municipality pages, then removes the request. Without the setting
nothing is recorded: the feature is off and a write costs no extra query. Turning it on later starts
with ``publish_static --all``.

A request is one row per municipality (``PublicationRequest``), upserted: a hundred saves before
the worker comes round make one rebuild. The worker removes a request only if it was not renewed
while the files were being rendered, so a write during a rebuild is never lost.
"""

from datetime import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from plans.models import Municipality, PublicationRequest


def publication_enabled() -> bool:
    return bool(settings.STATIC_PUBLISH_ROOT)


def request_publication(*, municipality=None) -> None:
    """Queue one municipality (a Municipality or its id) for a rebuild; with None, every municipality."""
    if not publication_enabled():
        return
    municipalities = Municipality.objects.all()
    if municipality is not None:
        municipalities = municipalities.filter(pk=getattr(municipality, "pk", municipality))
    # Only ids that exist: a foreign key to a deleted municipality would fail the write's commit.
    now = timezone.now()
    PublicationRequest.objects.bulk_create(
        [
            PublicationRequest(municipality_id=pk, requested_at=now)
            for pk in municipalities.values_list("pk", flat=True)
        ],
        update_conflicts=True,
        unique_fields=["municipality"],
        update_fields=["requested_at"],
    )


def pending_requests() -> dict[int, datetime]:
    """Municipality id -> when its rebuild was last requested."""
    return dict(PublicationRequest.objects.values_list("municipality_id", "requested_at"))


def remove_requests(*, done: dict[int, datetime]) -> int:
    """Remove the requests whose files are written, unless one was renewed after it was read."""
    if not done:
        return 0
    # Grouped by time: a request for every municipality is one time, and one OR per row would
    # exceed SQLite's expression depth at 1,741 municipalities.
    by_time: dict[datetime, list[int]] = {}
    for municipality_id, requested_at in done.items():
        by_time.setdefault(requested_at, []).append(municipality_id)
    served = Q()
    for requested_at, ids in by_time.items():
        served |= Q(requested_at=requested_at, municipality_id__in=ids)
    deleted, _ = PublicationRequest.objects.filter(served).delete()
    return deleted
