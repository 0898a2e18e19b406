"""Know who you prospect: the public company directory ("Recherche d'entreprises", no key)
fills a prospect's legal identity, and the BODACC's announcements tell whether it is under a
collective procedure (sauvegarde, redressement, liquidation), so that nobody quotes an
insolvent company by mistake.

Behind a small interface (`Annuaire`): `HttpAnnuaire` speaks to the real services (their
addresses are settings: DIRECTORY_SEARCH_URL, DIRECTORY_BODACC_URL), with a timeout; answers
are cached (Django's cache, DIRECTORY_CACHE_SECONDS); a service that does not answer gives the
"annuaire indisponible" state, never an error page. Tests and the demo use the fake of
tests/fakes/annuaire.py on loopback.

Response shapes read (public documentation of the two APIs):
- GET {search}/search?q=…&page=1&per_page=N → {"results": [{"siren", "nom_complet",
  "nom_raison_sociale", "nature_juridique" (INSEE code), "activite_principale" (NAF),
  "etat_administratif" ("A" active, "C" closed), "date_fermeture", "siege": {"siret",
  "numero_voie", "type_voie", "libelle_voie", "complement_adresse", "code_postal",
  "libelle_commune", "etat_administratif"}}], "total_results": n}
- GET {bodacc}/api/explore/v2.1/catalog/datasets/annonces-commerciales/records
  ?where=registre like "SIREN%" AND familleavis="collective"&order_by=dateparution desc
  &limit=N → {"total_count": n, "results": [{"id",
  "dateparution", "familleavis" ("collective" for procedures), "familleavis_lib",
  "tribunal", "registre": ["123 456 789", "123456789"], "jugement": JSON text
  {"famille", "nature", "date", "complementJugement"}}]}
"""

import hashlib
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# INSEE legal categories (catégories juridiques, level III) a small business meets most.
LEGAL_FORMS = {
    "1000": "Entrepreneur individuel", "5410": "SARL nationale", "5422": "SARL immobilière",
    "5426": "SARL immobilière de gestion", "5485": "EURL", "5498": "EURL",
    "5499": "SARL", "5505": "SA à participation ouvrière", "5599": "SA à conseil d'administration",
    "5699": "SA à directoire", "5710": "SAS", "5720": "SASU", "6540": "SCI",
    "6541": "SCI de construction-vente", "6599": "Société civile", "5202": "SNC",
    "9220": "Association déclarée", "7210": "Commune", "7389": "Établissement public",
}  # fmt: skip


class AnnuaireIndisponible(Exception):
    """The directory did not answer (network, timeout, error status, unreadable answer)."""


@dataclass(frozen=True)
class Entreprise:
    siren: str
    name: str
    legal_form: str = ""
    naf_code: str = ""
    siret: str = ""
    address_line1: str = ""
    address_line2: str = ""
    postal_code: str = ""
    city: str = ""
    closed: bool = False
    closed_on: str = ""


@dataclass(frozen=True)
class Procedure:
    date: str
    nature: str
    tribunal: str = ""

    @property
    def is_closing(self) -> bool:
        """A judgment that ends the procedure (clôture)."""
        return "clôture" in self.nature.lower() or "cloture" in self.nature.lower()


@dataclass
class Verification:
    """What the directory says of a SIREN; `unavailable` when it could not be asked."""

    siren: str
    entreprise: Entreprise | None = None
    procedures: list[Procedure] = field(default_factory=list)
    unavailable: bool = False

    @property
    def warnings(self) -> list[str]:
        found = []
        if self.entreprise is not None and self.entreprise.closed:
            found.append(
                _("Entreprise fermée (cessation d'activité%(d)s).")
                % {"d": _(" le %(d)s") % {"d": self.entreprise.closed_on}
                   if self.entreprise.closed_on else ""}
            )  # fmt: skip
        if self.procedures:
            latest = self.procedures[0]
            found.append(
                _("Procédure collective publiée au BODACC : %(n)s (%(d)s, %(t)s).")
                % {"n": latest.nature, "d": latest.date, "t": latest.tribunal or "—"}
            )
        return found

    @property
    def at_risk(self) -> bool:
        return bool(self.warnings)


class Annuaire(Protocol):
    def rechercher(self, query: str, *, limit: int) -> list[Entreprise]: ...

    def procedures(self, siren: str) -> list[Procedure]: ...


def _get_json(url: str, timeout: float) -> dict:
    request = urllib.request.Request(url, headers={"Accept": "application/json",
                                                   "User-Agent": "Encaisse"})  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return json.loads(response.read().decode("utf-8"))
    except (urllib.error.URLError, OSError, ValueError) as exc:  # HTTPError is a URLError
        raise AnnuaireIndisponible(str(exc)) from exc


def _entreprise(row: dict) -> Entreprise:
    siege = row.get("siege") or {}
    street = " ".join(
        str(siege.get(k) or "") for k in ("numero_voie", "type_voie", "libelle_voie")
    ).split()
    code = str(row.get("nature_juridique") or "")
    return Entreprise(
        siren=str(row.get("siren") or ""),
        name=str(row.get("nom_raison_sociale") or row.get("nom_complet") or ""),
        legal_form=LEGAL_FORMS.get(code, code),
        naf_code=str(row.get("activite_principale") or "")[:6],
        siret=str(siege.get("siret") or ""),
        address_line1=" ".join(street) or str(siege.get("adresse") or "")[:200],
        address_line2=str(siege.get("complement_adresse") or ""),
        postal_code=str(siege.get("code_postal") or ""),
        city=str(siege.get("libelle_commune") or ""),
        closed=row.get("etat_administratif") == "C",
        closed_on=str(row.get("date_fermeture") or ""),
    )


def _procedure(row: dict) -> Procedure:
    jugement = row.get("jugement") or {}
    if isinstance(jugement, str):
        try:
            jugement = json.loads(jugement)
        except ValueError:
            jugement = {}
    return Procedure(
        date=str(jugement.get("date") or row.get("dateparution") or ""),
        nature=str(jugement.get("nature") or row.get("familleavis_lib") or ""),
        tribunal=str(row.get("tribunal") or ""),
    )


class HttpAnnuaire:
    """The public services, over HTTP(S), with a timeout."""

    def __init__(self, *, search_url: str, bodacc_url: str, timeout: float) -> None:
        self.search_url = search_url.rstrip("/")
        self.bodacc_url = bodacc_url.rstrip("/")
        self.timeout = timeout

    def rechercher(self, query: str, *, limit: int) -> list[Entreprise]:
        params = urllib.parse.urlencode({"q": query, "page": 1, "per_page": limit})
        data = _get_json(f"{self.search_url}/search?{params}", self.timeout)
        return [_entreprise(row) for row in data.get("results") or []][:limit]

    def procedures(self, siren: str) -> list[Procedure]:
        params = urllib.parse.urlencode({
            "where": f'registre like "{siren}%" AND familleavis="collective"',
            "order_by": "dateparution desc", "limit": 20,
        })  # fmt: skip
        url = (
            f"{self.bodacc_url}/api/explore/v2.1/catalog/datasets/annonces-commerciales/records"
            f"?{params}"
        )
        data = _get_json(url, self.timeout)
        found = [_procedure(row) for row in data.get("results") or []]
        return sorted(found, key=lambda p: p.date, reverse=True)


def annuaire() -> Annuaire:
    return HttpAnnuaire(
        search_url=settings.DIRECTORY_SEARCH_URL,
        bodacc_url=settings.DIRECTORY_BODACC_URL,
        timeout=settings.DIRECTORY_TIMEOUT,
    )


def _key(kind: str, text: str) -> str:
    return f"annuaire:{kind}:{hashlib.sha256(text.encode()).hexdigest()[:32]}"


def entreprises_rechercher(query: str, *, limit: int = 5) -> tuple[list[Entreprise], bool]:
    """Companies matching a SIREN, SIRET or name, and False when the directory was
    unavailable (then the list is empty)."""
    query = " ".join(query.split())
    if len(query) < 3:
        return [], True
    key = _key("recherche", f"{limit}:{query.lower()}")
    cached = cache.get(key)
    if cached is not None:
        return [Entreprise(**row) for row in cached], True
    try:
        found = annuaire().rechercher(query, limit=limit)
    except AnnuaireIndisponible:
        logger.warning("company directory unavailable", exc_info=True)
        return [], False
    cache.set(key, [asdict(e) for e in found], settings.DIRECTORY_CACHE_SECONDS)
    return found, True


def entreprise_verifier(siren: str, *, fresh: bool = False) -> Verification:
    """The directory's identity of `siren`, whether it is closed, and its collective
    procedures (newest first). `fresh` asks again instead of reading the cache (before a
    quote is sent)."""
    siren = "".join(ch for ch in siren if ch.isdigit())[:9]
    key = _key("verification", siren)
    if not fresh and (cached := cache.get(key)) is not None:
        return Verification(
            siren=siren,
            entreprise=Entreprise(**cached["entreprise"]) if cached["entreprise"] else None,
            procedures=[Procedure(**p) for p in cached["procedures"]],
        )
    provider = annuaire()
    try:
        entreprise = next((e for e in provider.rechercher(siren, limit=5) if e.siren == siren),
                          None)  # fmt: skip
        procedures = provider.procedures(siren)
    except AnnuaireIndisponible:
        logger.warning("company directory unavailable for %s", siren, exc_info=True)
        return Verification(siren=siren, unavailable=True)
    cache.set(
        key,
        {"entreprise": asdict(entreprise) if entreprise else None,
         "procedures": [asdict(p) for p in procedures]},
        settings.DIRECTORY_CACHE_SECONDS,
    )  # fmt: skip
    return Verification(siren=siren, entreprise=entreprise, procedures=procedures)


def client_verifier_avant_envoi(*, client, amount: Decimal) -> Verification | None:
    """For the quotes app, before it sends a quote: above DIRECTORY_CHECK_ABOVE (excl. VAT),
    a business customer with a SIREN is checked again (not from the cache). None when no
    check is due; otherwise `.at_risk` and `.warnings` say what to show, `.unavailable` that
    the directory could not be asked (the quote may still be sent: the user decides)."""
    if not client.siren or not client.is_business:
        return None
    if Decimal(amount) < Decimal(str(settings.DIRECTORY_CHECK_ABOVE)):
        return None
    return entreprise_verifier(client.siren, fresh=True)
