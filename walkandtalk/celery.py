"""The Celery app: configuration from Django settings (CELERY_*), tasks found in every app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "walkandtalk.settings")

app = Celery("walkandtalk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
