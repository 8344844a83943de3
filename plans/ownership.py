"""Which municipality owns a row: the one rule, stated once per model.

Every plan-data model names its path to the municipality in a class attribute, e.g.
``Measure.municipality_path = "plan__municipality"`` (``""`` on Municipality itself). Everything else
is derived from it here: the municipality of one object (HQ rights in the admin, which public pages
go stale after a write) and the rows of some municipalities as a ``Q`` (the HQ part of the access
scopes, the admin's foreign-key choices).
"""

from django.db.models import Model, Q, QuerySet


def has_municipality(model) -> bool:
    """Does the model's data belong to one municipality, rather than to the whole portal (SDGs, users)?"""
    return isinstance(getattr(model, "municipality_path", None), str)


def municipality_lookup(model) -> str:
    """The query path from the model to its municipality's id: "plan__municipality", or "pk"."""
    return model.municipality_path or "pk"


def municipality_id_of(obj: Model) -> int | None:
    """The id of the municipality that owns obj, following its path through the instance.

    Relations already loaded (select_related, or set by the caller) are used; each one that is not
    costs one query, as reading ``obj.plan.municipality_id`` would. None when a link is still empty
    (an unsaved row without its parent).
    """
    if not obj.municipality_path:
        return obj.pk
    *hops, last = obj.municipality_path.split("__")
    for hop in hops:
        if getattr(obj, obj._meta.get_field(hop).attname) is None:
            return None
        obj = getattr(obj, hop)
    return getattr(obj, f"{last}_id")


def municipality_ids(queryset: QuerySet) -> set[int]:
    """The ids of the municipalities owning the rows of the queryset, in one query."""
    return set(queryset.order_by().values_list(municipality_lookup(queryset.model), flat=True).distinct()) - {None}


def of_municipalities(model, municipalities, *, prefix: str = "") -> Q:
    """The rows of model owned by these municipalities (a QuerySet of them or their ids).

    prefix: the path from the rows being filtered to model, for a scope used from a related model
    ("indicator__" filters IndicatorValue rows by their indicator's municipality).
    """
    return Q(**{f"{prefix}{municipality_lookup(model)}__in": municipalities})
