"""Two views: a page rendered from pages/templates/, and a JSON sum of query parameters."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


def index(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/index.html", {"framework": "Django"})


def total(request: HttpRequest) -> JsonResponse:
    try:
        numbers = [int(n) for n in request.GET.getlist("n")]
    except ValueError:
        return JsonResponse({"error": "every n must be an integer"}, status=400)
    return JsonResponse({"numbers": numbers, "sum": sum(numbers)})


def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})
