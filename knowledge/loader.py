"""Reads and validates the 办事指南 data files. Every problem is collected (file, item code, field);
a catalogue with any problem is refused whole, so nothing of a bad file can reach the database."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from knowledge.normalize import normalize
from knowledge.schema import BundleDoc, BundlesFile, HallDoc, HallsFile, HolidaysFile, ItemDoc, ItemsFile, YearDoc

FILE_KINDS: dict[str, type[BaseModel]] = {
    "items": ItemsFile,
    "bundles": BundlesFile,
    "halls": HallsFile,
    "years": HolidaysFile,
}


@dataclass(frozen=True)
class Problem:
    file: str
    code: str  # the item, bundle, hall or year concerned; "-" for the file as a whole
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.code}: {self.field}: {self.message}"


class CatalogueInvalid(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the knowledge base files")


@dataclass
class Catalogue:
    """What a set of data files holds, each entry with the file it came from."""

    items: dict[str, tuple[ItemDoc, str]] = field(default_factory=dict)
    bundles: dict[str, tuple[BundleDoc, str]] = field(default_factory=dict)
    halls: dict[str, tuple[HallDoc, str]] = field(default_factory=dict)
    years: dict[int, tuple[YearDoc, str]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class KnownRefs:
    """What is stored already, so a partial import (one file) can refer to it."""

    item_situations: dict[str, set[str]] = field(default_factory=dict)
    hall_categories: dict[str, set[str]] = field(default_factory=dict)


def data_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    return [path]


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _field_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "-"


def _entry_code(raw: Any, loc: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    """Splits a pydantic location into the entry's own code and the field inside the entry."""
    if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(raw, dict):
        entries = raw.get(loc[0])
        if isinstance(entries, list) and loc[1] < len(entries):
            entry = entries[loc[1]]
            key = "year" if loc[0] == "years" else "code"
            code = entry.get(key) if isinstance(entry, dict) else None
            return (str(code) if code else f"{loc[0]}[{loc[1]}]"), loc[2:]
    return "-", loc


def _parse_file(path: Path, name: str, catalogue: Catalogue, problems: list[Problem]) -> None:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(name, "-", "-", f"cannot read the file: {exc}"))
        return
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problems.append(Problem(name, "-", "-", f"not valid YAML{where}: {getattr(exc, 'problem', exc)}"))
        return
    kinds = [k for k in FILE_KINDS if isinstance(raw, dict) and k in raw]
    if len(kinds) != 1:
        problems.append(Problem(name, "-", "-", "expected a mapping with exactly one of the keys: " + ", ".join(FILE_KINDS)))
        return
    try:
        doc = FILE_KINDS[kinds[0]].model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            code, inner = _entry_code(raw, tuple(err["loc"]))
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(Problem(name, code, _field_path(inner), msg))
        return
    catalogue.files.append(name)
    registries: dict[str, tuple[dict[Any, Any], str]] = {
        "items": (catalogue.items, "code"),
        "bundles": (catalogue.bundles, "code"),
        "halls": (catalogue.halls, "code"),
        "years": (catalogue.years, "year"),
    }
    registry, key = registries[kinds[0]]
    for entry in getattr(doc, kinds[0]):
        ident = getattr(entry, key)
        if ident in registry:
            problems.append(Problem(name, str(ident), key, f"defined twice (also in {registry[ident][1]})"))
        else:
            registry[ident] = (entry, name)


def read_catalogue(path: Path) -> tuple[Catalogue, list[Problem]]:
    catalogue, problems = Catalogue(), []
    if not path.exists():
        return catalogue, [Problem(str(path), "-", "-", "no such file or directory")]
    files = data_files(path)
    if not files:
        problems.append(Problem(_display(path), "-", "-", "no .yaml files found"))
    for file in files:
        _parse_file(file, _display(file), catalogue, problems)
    return catalogue, problems


def _check_items(cat: Catalogue, known: KnownRefs) -> list[Problem]:
    problems: list[Problem] = []
    hall_categories = dict(known.hall_categories)
    hall_categories.update({code: {c for w in h.windows for c in w.categories} for code, (h, _) in cat.halls.items()})
    owners: dict[str, set[str]] = defaultdict(set)  # normalized name or alias -> codes using it
    entries = [(c, i, f) for c, (i, f) in cat.items.items()] + [(c, b, f) for c, (b, f) in cat.bundles.items()]
    for code, entry, _ in entries:
        for term in {normalize(t) for t in [entry.name, *entry.aliases]}:
            owners[term].add(code)
    for code, (item, file) in cat.items.items():
        keys = [s.key for s in item.situations]
        for dup in sorted({k for k in keys if keys.count(k) > 1}):
            problems.append(Problem(file, code, "situations.key", f"situation key {dup!r} used twice"))
        for i, hall in enumerate(item.halls):
            if hall not in hall_categories:
                problems.append(Problem(file, code, f"halls[{i}]", f"unknown hall {hall!r}"))
            elif item.category not in hall_categories[hall]:
                problems.append(Problem(file, code, f"halls[{i}]", f"hall {hall} has no window for category {item.category}"))
    for code, entry, file in entries:
        for i, alias in enumerate(entry.aliases):
            others = sorted(owners[normalize(alias)] - {code})
            if others:
                problems.append(Problem(file, code, f"aliases[{i}]", f"alias {alias!r} is also a name or alias of {', '.join(others)}"))
    return problems


def _check_bundles(cat: Catalogue, known: KnownRefs) -> list[Problem]:
    problems: list[Problem] = []
    situations = dict(known.item_situations)
    situations.update({code: {s.key for s in item.situations} for code, (item, _) in cat.items.items()})
    for code, (bundle, file) in cat.bundles.items():
        for i, ref in enumerate(bundle.items):
            item_code, _, situation = ref.partition("/")
            if item_code not in situations:
                problems.append(Problem(file, code, f"items[{i}]", f"unknown item {item_code!r}"))
            elif situation and situation not in situations[item_code]:
                problems.append(Problem(file, code, f"items[{i}]", f"item {item_code} has no situation {situation!r}"))
    return problems


def _check_years(cat: Catalogue) -> list[Problem]:
    problems: list[Problem] = []
    for year, (doc, file) in cat.years.items():
        off: set[dt.date] = set()
        for i, rng in enumerate(doc.holidays):
            start, end = rng.days
            if start > end:
                problems.append(Problem(file, str(year), f"holidays[{i}].days", "the first day is after the last day"))
            if start.year != year or end.year != year:
                problems.append(Problem(file, str(year), f"holidays[{i}].days", f"dates must lie in {year}"))
            off |= {start + dt.timedelta(days=n) for n in range((end - start).days + 1)}
        for i, wd in enumerate(doc.workdays):
            if wd.date.year != year:
                problems.append(Problem(file, str(year), f"workdays[{i}].date", f"date must lie in {year}"))
            if wd.date.weekday() < 5:
                problems.append(Problem(file, str(year), f"workdays[{i}].date", f"{wd.date} is a weekday, not a 调休 weekend"))
            if wd.date in off:
                problems.append(Problem(file, str(year), f"workdays[{i}].date", f"{wd.date} is also listed as a holiday"))
    return problems


def _check_halls(cat: Catalogue) -> list[Problem]:
    problems: list[Problem] = []
    for code, (hall, file) in cat.halls.items():
        codes = [w.code for w in hall.windows]
        for dup in sorted({c for c in codes if codes.count(c) > 1}):
            problems.append(Problem(file, code, "windows.code", f"window code {dup!r} used twice"))
    return problems


def check_references(cat: Catalogue, known: KnownRefs = KnownRefs()) -> list[Problem]:
    return _check_items(cat, known) + _check_bundles(cat, known) + _check_years(cat) + _check_halls(cat)


def load_catalogue(path: Path, known: KnownRefs = KnownRefs()) -> Catalogue:
    """The catalogue under `path`, or CatalogueInvalid listing every problem."""
    catalogue, problems = read_catalogue(path)
    problems += check_references(catalogue, known)
    if problems:
        raise CatalogueInvalid(problems)
    return catalogue
