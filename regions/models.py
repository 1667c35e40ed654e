"""A region is a cell: one deployment with its own database, broker, workers and endpoint."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.platform.core.placement import shared_model


class Jurisdiction(models.TextChoices):
    GDPR = "GDPR", _("EU General Data Protection Regulation")
    PIPL = "PIPL", _("China Personal Information Protection Law")
    APPI = "APPI", _("Japan Act on the Protection of Personal Information")
    CCPA = "CCPA", _("California Consumer Privacy Act")


@shared_model(personal_data=False)
class Region(models.Model):
    code = models.SlugField(primary_key=True, max_length=16)
    name = models.CharField(max_length=100)
    jurisdiction = models.CharField(max_length=8, choices=Jurisdiction.choices)
    api_endpoint = models.URLField(help_text=_("Public GraphQL endpoint of this region's cell."))

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code
