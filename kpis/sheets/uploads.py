"""Uploaded files waiting between a preview and its confirmation, kept in the database.

The admin's actuals import shows a preview of the upload and writes only when the user confirms. The
file waits in between in ``PendingUpload`` rather than on the app server that showed the preview, so any
app server can take the confirmation; the first confirmation takes the file and a second finds nothing
(it gets a message, not a 500), so one upload is written at most once.
"""

import datetime
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kpis.models import PendingUpload


def keep_upload(data: bytes) -> str:
    """Store the upload; return the token that takes it back. Forgets uploads older than the limit."""
    expire_pending_uploads()
    token = secrets.token_hex(16)
    PendingUpload.objects.create(token=token, data=data)
    return token


def peek_upload(token: str) -> bytes | None:
    """The upload's bytes, left in place (for the preview); None when taken or expired."""
    data = PendingUpload.objects.filter(token=token, created_at__gte=oldest_kept()).values_list("data", flat=True)
    found = data.first()
    return None if found is None else bytes(found)


@transaction.atomic
def take_upload(token: str) -> bytes | None:
    """The upload's bytes, removed so nobody takes them again; None when taken already or expired.

    Of two confirmations at the same moment only the one whose DELETE removes the row gets the bytes.
    """
    upload = PendingUpload.objects.filter(token=token, created_at__gte=oldest_kept()).first()
    if upload is None:
        return None
    removed, _ = PendingUpload.objects.filter(pk=upload.pk).delete()
    return bytes(upload.data) if removed else None


def oldest_kept() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(seconds=settings.IMPORT_PENDING_SECONDS)


def expire_pending_uploads() -> int:
    removed, _ = PendingUpload.objects.filter(created_at__lt=oldest_kept()).delete()
    return removed
