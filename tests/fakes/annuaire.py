"""A fake of the public company directory ("Recherche d'entreprises") and of the BODACC's
open-data API on loopback, for tests and the demo (crm/directory.py speaks to it through
DIRECTORY_SEARCH_URL and DIRECTORY_BODACC_URL).

    .venv/bin/python -m tests.fakes.annuaire --port 8430

Companies and announcements live in memory (`COMPANIES`, `ANNOUNCEMENTS`); `down = True`
makes every answer a 503, `delay` slows them (a timeout)."""

import argparse
import json
import re
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def siret_of(siren: str) -> str:
    """The head office's SIRET: NIC 0001 and the Luhn key."""
    from stdnum import luhn

    return siren + "0001" + luhn.calc_check_digit(siren + "0001")


def company(
    siren: str, name: str, *, closed: bool = False, nature: str = "5710", naf: str = "62.01Z",
    city: str = "LYON", postal_code: str = "69002",
) -> dict:  # fmt: skip
    return {
        "siren": siren, "nom_complet": name, "nom_raison_sociale": name,
        "nature_juridique": nature, "activite_principale": naf,
        "etat_administratif": "C" if closed else "A",
        "date_fermeture": "2025-06-30" if closed else None,
        "siege": {"siret": siret_of(siren), "numero_voie": "12", "type_voie": "RUE",
                  "libelle_voie": "DE LA REPUBLIQUE", "complement_adresse": None,
                  "code_postal": postal_code, "libelle_commune": city,
                  "etat_administratif": "F" if closed else "A"},
    }  # fmt: skip


def announcement(
    siren: str, nature: str, date: str, tribunal: str = "TRIBUNAL DE COMMERCE DE LYON"
):
    spaced = f"{siren[:3]} {siren[3:6]} {siren[6:]}"
    return {
        "id": f"A{siren}{date}", "dateparution": date, "familleavis": "collective",
        "familleavis_lib": "Procédures collectives", "tribunal": tribunal,
        "registre": [spaced, siren],
        "jugement": json.dumps({"type": "initial", "famille": "Jugement d'ouverture",
                                "nature": nature, "date": date}),
    }  # fmt: skip


class FakeAnnuaire:
    """Both services on one port: /search and /api/explore/v2.1/…/records."""

    def __init__(self, port: int = 0):
        self.companies: list[dict] = []
        self.announcements: list[dict] = []
        self.down = False
        self.delay = 0.0
        self.requests: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                fake.requests.append(self.path)
                if fake.delay:
                    time.sleep(fake.delay)
                if fake.down:
                    return self._send(503, {"erreur": "Service indisponible"})
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                if url.path == "/search":
                    return self._send(200, fake.search(query.get("q", ""),
                                                       int(query.get("per_page", 10))))  # fmt: skip
                if url.path.endswith("/annonces-commerciales/records"):
                    return self._send(200, fake.records(query.get("where", "")))
                return self._send(404, {"erreur": "not found"})

            def _send(self, status: int, body: dict):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def search(self, q: str, per_page: int) -> dict:
        q = q.strip().lower()
        digits = q.replace(" ", "")
        found = [
            c for c in self.companies
            if (digits.isdigit() and (c["siren"].startswith(digits[:9])))
            or (not digits.isdigit() and q in c["nom_complet"].lower())
        ]  # fmt: skip
        return {"results": found[:per_page], "total_results": len(found), "page": 1,
                "per_page": per_page, "total_pages": 1}  # fmt: skip

    def records(self, where: str) -> dict:
        # The query crm/directory.py sends: registre like "SIREN%" AND familleavis="collective"
        match = re.search(r'registre like "(\d{9})%"', where)
        found = [
            a
            for a in self.announcements
            if match and match.group(1) in a["registre"] and 'familleavis="collective"' in where
        ]
        found.sort(key=lambda a: a["dateparution"], reverse=True)
        return {"total_count": len(found), "results": found}

    def reset(self) -> None:
        self.companies.clear()
        self.announcements.clear()
        self.down, self.delay = False, 0.0
        self.requests.clear()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8430)
    args = parser.parse_args()
    server = FakeAnnuaire(port=args.port)
    server.companies += [
        company("552081317", "BOULANGERIE DUPAIN"),
        company("732829320", "MENUISERIE DU LAC", closed=True),
        company("418457395", "TRANSPORTS RAPIDES"),
    ]
    server.announcements.append(announcement(
        "418457395", "Jugement d'ouverture d'une procédure de redressement judiciaire",
        "2026-10-02"))  # fmt: skip
    print(f"Fake directory on {server.url}")  # noqa: T201
    try:
        server.thread.join()
    except KeyboardInterrupt:
        server.stop()
