"""Users belong to one group; roles and memberships arrive with the permission engine."""

from django.contrib.auth.models import AbstractUser
from django.db import models

from crm.platform.core.placement import shared_model


@shared_model(personal_data=True)
class User(AbstractUser):
    group = models.ForeignKey(
        "tenants.Group", null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    # Empty means "no preference": Accept-Language, then the business unit decide.
    language = models.CharField(max_length=10, blank=True, default="")
