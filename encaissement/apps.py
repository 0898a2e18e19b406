from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EncaissementConfig(AppConfig):
    name = "encaissement"
    verbose_name = _("Encaissements")
