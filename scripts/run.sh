#!/usr/bin/env bash
# Installs, migrates, loads the demo data, then runs web + worker + beat in the foreground.
source "$(dirname "$0")/lib.sh"
bash "$ROOT/scripts/setup.sh"
cd "$ROOT"
load_env
"$VENV/bin/python" manage.py seed_demo
cat <<TXT

  Encaisse tourne sur http://127.0.0.1:8000
  Connexions de démonstration (mot de passe : demo-encaisse) :
    gerant@demo.encaisse.fr     gérant de deux sociétés
    compta@demo.encaisse.fr     expert-comptable
  API : http://127.0.0.1:8000/api/v1/docs      Ctrl-C arrête tout.

TXT
# Web, worker and beat connect as the application's role (DATABASE_URL) and never see the
# owner's address.
unset DATABASE_OWNER_URL
exec "$VENV/bin/honcho" -f "$ROOT/Procfile" start
