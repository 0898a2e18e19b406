"""The dated rate tables of late penalties, kept by hand by the platform's staff (never
fetched at run time: LEGAL.md §6)."""

from django.contrib import admin

from encaissement.models import TauxBCE, TauxInteretLegal


@admin.register(TauxBCE)
class TauxBCEAdmin(admin.ModelAdmin):
    list_display = ("date_effet", "taux")


@admin.register(TauxInteretLegal)
class TauxInteretLegalAdmin(admin.ModelAdmin):
    list_display = ("semestre", "taux_particuliers", "taux_autres")
