"""`python -m knowledge.validate PATH`: check data files without touching the database."""
import sys
from pathlib import Path

from knowledge.loader import CatalogueInvalid, load_catalogue


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "knowledge/data")
    try:
        cat = load_catalogue(path)
    except CatalogueInvalid as exc:
        for problem in exc.problems:
            print(problem)
        print(f"{len(exc.problems)} problem(s); nothing would be imported", file=sys.stderr)
        return 1
    print(f"ok: {len(cat.items)} items, {len(cat.bundles)} bundles, {len(cat.halls)} halls, {len(cat.years)} years "
          f"in {len(cat.files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
