"""Score per module of the last `make mutation` run, read from mutmut's files in mutants/.

Writes a Markdown table for tests/README.md: timeouts count as killed (the mutant made the
tests hang); the score is over the mutants measured, and those an interrupted run did not
reach are counted apart. Then every mutant measured and not killed, with its status
(`mutmut show NAME` prints its diff); then the kills that happened in a test's setup, to check
they are the mutant's doing and not a broken run (tests/mutmut_slots.py writes
mutants/kills.tsv).
"""

import json
import sys
import tomllib
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

KILLED = ("killed", "timeout")


def main() -> int:
    config = tomllib.loads(Path("pyproject.toml").read_text())["tool"]["mutmut"]
    out = [
        "| module | mutants | tués | survivants | non mesurés | score |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    left: list[str] = []
    for path in config["only_mutate"]:
        meta = Path("mutants") / f"{path}.meta"
        if not meta.exists():
            out.append(f"| `{path}` | pas de résultat | | | | |")
            continue
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        statuses = {name: status_by_exit_code[code] for name, code in codes.items()}
        killed = sum(1 for status in statuses.values() if status in KILLED)
        unmeasured = sum(1 for status in statuses.values() if status == "not checked")
        alive = sorted(
            name for name, status in statuses.items() if status not in (*KILLED, "not checked")
        )
        left += [f"{name}: {statuses[name]}" for name in alive]
        measured = len(statuses) - unmeasured
        score = f"{100 * killed / measured:.1f} %" if measured else "-"
        out.append(
            f"| `{path}` | {len(statuses)} | {killed} | {len(alive)} | {unmeasured} | {score} |"
        )
    out += ["", *(left or ["aucun survivant"])]
    kills = Path("mutants/kills.tsv")
    if kills.exists():
        rows = [line.split("\t") for line in kills.read_text().splitlines()]
        in_setup = Counter(row[3] for row in rows if len(row) == 4 and row[2] == "setup")
        out += ["", f"Tués dans la mise en place d'un test : {sum(in_setup.values())}"]
        out += [f"  {count} × {reason}" for reason, count in in_setup.most_common()]
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
