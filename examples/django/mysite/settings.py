"""Settings of the smallest useful Django project: no database, no sessions, no admin, no static files."""

from __future__ import annotations

import os

# A real deployment reads its secret from the environment (scratch_image_env can set it).
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "insecure-example-key-not-for-production")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = ["pages"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "mysite.urls"
WSGI_APPLICATION = "mysite.wsgi.application"

DATABASES: dict[str, dict[str, str]] = {}

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,  # finds pages/templates/
        "OPTIONS": {},
    }
]

USE_TZ = True
USE_I18N = False
