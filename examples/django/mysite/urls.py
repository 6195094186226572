from __future__ import annotations

from django.urls import path
from pages import views

urlpatterns = [
    path("", views.index, name="index"),
    path("api/sum/", views.total, name="sum"),
    path("health", views.health, name="health"),
]
