from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevisConfig(AppConfig):
    name = "devis"
    verbose_name = _("Devis")
