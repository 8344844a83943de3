"""A dump of the whole database, to assert that something left it byte for byte as it was."""

from django.apps import apps
from django.core import serializers


def database_dump() -> list[str]:
    """Every row of every model (history, sessions and uploads included), serialized in primary-key order."""
    return [serializers.serialize("json", model._default_manager.order_by("pk")) for model in apps.get_models()]
