"""Project-level views that belong to no data app."""

from django.http import HttpResponse


def healthz(request):
    """Liveness for load balancers and the benchmarks' baseline: answers without touching the database."""
    response = HttpResponse("ok\n", content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response
