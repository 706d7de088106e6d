"""The loader refuses a bad catalogue whole and names every problem by file, code and field."""
from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.loader import CatalogueInvalid, KnownRefs, load_catalogue
from tests.conftest import KB_PATH
from tests.kb_fixture import catalogue_docs, write_catalogue

ITEMS = "items/public_security.yaml"


def problems_for(tmp_path: Path, docs: dict) -> list[str]:
    with pytest.raises(CatalogueInvalid) as exc:
        load_catalogue(write_catalogue(tmp_path, docs))
    return [str(p) for p in exc.value.problems]


def item(docs: dict, n: int = 0) -> dict:
    return docs[ITEMS]["items"][n]


def test_the_demo_catalogue_is_valid_and_complete():
    cat = load_catalogue(KB_PATH)
    assert len(cat.items) >= 45
    assert len(cat.halls) == 3
    assert {"YJS-KBQY", "YJS-XSE", "YJS-ESF", "YJS-TX"} <= set(cat.bundles)
    assert {2026, 2027} <= set(cat.years)
    names = {doc.name for doc, _ in cat.items.values()}
    for required in ("居民身份证申领", "普通护照签发", "结婚登记", "住房公积金提取", "水电气过户", "生育登记"):
        assert required in names


def test_the_fixture_catalogue_is_valid(tmp_path):
    cat = load_catalogue(write_catalogue(tmp_path))
    assert set(cat.items) == {"GA-001", "GA-002"}
    assert cat.items["GA-001"][0].phone == "87012301"  # a bare YAML number is still a phone text


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda d: item(d).pop("department"), "GA-001: department: Field required"),
        (lambda d: item(d).update(code="ga1"), "ga1: code: String should match pattern"),
        (lambda d: item(d).update(category="外星事务"), "GA-001: category: Input should be"),
        (lambda d: item(d).update(visits=-1), "GA-001: visits: Input should be greater than or equal to 0"),
        (lambda d: item(d).update(depratment="typo"), "GA-001: depratment: Extra inputs are not permitted"),
        (lambda d: item(d)["situations"][0]["materials"][0].update(form="扫描件"),
         "GA-001: situations[0].materials[0].form: Input should be"),
        (lambda d: item(d)["situations"][0]["materials"][0].update(copies=0),
         "GA-001: situations[0].materials[0]: copies is 0 but the material is neither"),
        (lambda d: item(d)["situations"][0].update(materials=[]),
         "GA-001: situations[0].materials: List should have at least 1 item"),
        (lambda d: item(d)["situations"][1].update(key="first"), "GA-001: situations.key: situation key 'first' used twice"),
        (lambda d: item(d).update(time_limit={"promised_days": 90, "legal_days": 60}),
         "GA-001: time_limit: promised_days is longer than legal_days"),
        (lambda d: item(d).update(fee={"free": False}), "GA-001: fee: amount is required when free is false"),
        (lambda d: item(d).update(online={"available": True}), "GA-001: online: where is required when available is true"),
        (lambda d: item(d).update(halls=["NOPE"]), "GA-001: halls[0]: unknown hall 'NOPE'"),
        (lambda d: item(d).update(category="税务"), "GA-001: halls[0]: hall SMZX has no window for category 税务"),
        (lambda d: item(d, 1).update(aliases=["身份证"]), "GA-002: aliases[0]: alias '身份证' is also a name or alias of GA-001"),
        (lambda d: item(d, 1).update(aliases=["身份證"]), "alias '身份證' is also a name or alias of GA-001"),
        (lambda d: item(d, 1).update(code="GA-001"), "GA-001: code: defined twice"),
        (lambda d: d["bundles.yaml"]["bundles"][0].update(items=["GA-001", "XX-999"]),
         "YJS-TEST: items[1]: unknown item 'XX-999'"),
        (lambda d: d["bundles.yaml"]["bundles"][0].update(items=["GA-001/nope", "GA-002"]),
         "YJS-TEST: items[0]: item GA-001 has no situation 'nope'"),
        (lambda d: d["halls.yaml"]["halls"][0]["windows"].append(dict(d["halls.yaml"]["halls"][0]["windows"][0])),
         "SMZX: windows.code: window code 'A' used twice"),
        (lambda d: d["halls.yaml"]["halls"][0]["opening_hours"]["weekdays"].update(am=["9点", "12:00"]),
         "SMZX: opening_hours.weekdays.am[0]: String should match pattern"),
        (lambda d: d["holidays.yaml"]["years"][0]["workdays"].append({"date": "2026-09-22", "for": "国庆节"}),
         "2026: workdays[2].date: 2026-09-22 is a weekday, not a 调休 weekend"),
        (lambda d: d["holidays.yaml"]["years"][0]["holidays"][0].update(days=["2026-10-07", "2026-10-01"]),
         "2026: holidays[0].days: the first day is after the last day"),
        (lambda d: d["holidays.yaml"]["years"][0]["holidays"][0].update(days=["2027-10-01", "2027-10-07"]),
         "2026: holidays[0].days: dates must lie in 2026"),
        (lambda d: d["holidays.yaml"]["years"][0]["workdays"].append({"date": "2026-10-03", "for": "国庆节"}),
         "2026: workdays[2].date: 2026-10-03 is also listed as a holiday"),
        (lambda d: d.update({"extra.yaml": {"something": []}}), "extra.yaml: -: -: expected a mapping with exactly one of the keys"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_each_kind_of_problem_is_named_by_file_code_and_field(tmp_path, change, expected):
    docs = catalogue_docs()
    change(docs)
    found = problems_for(tmp_path, docs)
    assert any(expected in p for p in found), found


def test_invalid_yaml_names_the_line(tmp_path):
    write_catalogue(tmp_path)
    (tmp_path / "halls.yaml").write_text("halls:\n  - code: SMZX\n    name: [unclosed\n", encoding="utf-8")
    with pytest.raises(CatalogueInvalid) as exc:
        load_catalogue(tmp_path)
    assert any("halls.yaml: -: -: not valid YAML at line" in str(p) for p in exc.value.problems)


def test_every_problem_is_listed_not_just_the_first(tmp_path):
    docs = catalogue_docs()
    item(docs).pop("department")
    item(docs, 1).update(visits="often")
    docs["bundles.yaml"]["bundles"][0]["items"] = ["GA-001", "XX-001"]
    found = problems_for(tmp_path, docs)
    assert any("GA-001: department" in p for p in found)
    assert any("GA-002: visits" in p for p in found)
    assert any("YJS-TEST: items[1]" in p for p in found)


def test_missing_path_is_a_problem_not_a_crash(tmp_path):
    with pytest.raises(CatalogueInvalid) as exc:
        load_catalogue(tmp_path / "nope")
    assert "no such file or directory" in str(exc.value.problems[0])


def test_a_single_file_may_refer_to_what_is_stored_already(tmp_path):
    docs = catalogue_docs()
    write_catalogue(tmp_path, {"only.yaml": docs[ITEMS]})
    with pytest.raises(CatalogueInvalid):
        load_catalogue(tmp_path / "only.yaml")
    known = KnownRefs(hall_categories={"SMZX": {"公安户政"}})
    assert set(load_catalogue(tmp_path / "only.yaml", known).items) == {"GA-001", "GA-002"}
