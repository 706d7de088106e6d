"""受理条件 (conditions) and 委托代办 (proxy): filled for every demo item, optional in the schema, checked by type."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from knowledge.loader import CatalogueInvalid, load_catalogue
from knowledge.schema import ItemDoc
from tests.conftest import KB_PATH
from tests.kb_fixture import catalogue_docs, write_catalogue

ITEMS = "items/public_security.yaml"
DEMO = load_catalogue(KB_PATH)


def problems_for(tmp_path: Path, docs: dict) -> list[str]:
    with pytest.raises(CatalogueInvalid) as exc:
        load_catalogue(write_catalogue(tmp_path, docs))
    return [str(p) for p in exc.value.problems]


def test_every_demo_item_has_conditions_and_proxy():
    assert len(DEMO.items) >= 48
    for code, (item, _) in DEMO.items.items():
        assert 1 <= len(item.conditions) <= 4, code
        assert all(c and len(c) <= 40 for c in item.conditions), code
        assert len(set(item.conditions)) == len(item.conditions), code
        assert item.proxy is not None, code
        assert item.proxy.notes and len(item.proxy.notes) <= 60, code


def test_proxy_agrees_with_situations_and_materials():
    for code, (item, _) in DEMO.items.items():
        proxy_situation = any(s.key == "proxy" or "委托" in s.name for s in item.situations)
        proxy_letter = any("委托书" in m.name for s in item.situations for m in s.materials)
        if proxy_situation or proxy_letter:
            assert item.proxy.allowed, code


@pytest.mark.parametrize("code, allowed", [("GA-006", True), ("GA-001", False)])
def test_proxy_round_trips_through_the_loader(tmp_path, code, allowed):
    item, file = DEMO.items[code]
    assert item.proxy.allowed is allowed
    assert item.conditions
    # Written back out as a data file and read again, the item is unchanged.
    dumped = item.model_dump(mode="json", exclude_none=True)
    target = tmp_path / Path(file).relative_to(Path(file).parents[1])
    target.parent.mkdir(parents=True)
    target.write_text(yaml.safe_dump({"items": [dumped]}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (tmp_path / "halls.yaml").write_text((KB_PATH / "halls.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    again = load_catalogue(tmp_path).items[code][0]
    assert again == item
    assert again.proxy.allowed is allowed
    assert again.proxy.notes == item.proxy.notes
    assert again.conditions == item.conditions


def test_both_fields_are_optional(tmp_path):
    cat = load_catalogue(write_catalogue(tmp_path))  # the fixture items have neither field
    item = cat.items["GA-001"][0]
    assert item.conditions == []
    assert item.proxy is None


def test_proxy_notes_may_be_left_out_only_when_not_allowed():
    assert ItemDoc.model_fields["proxy"].default is None
    doc = catalogue_docs()[ITEMS]["items"][0]
    assert ItemDoc.model_validate({**doc, "proxy": {"allowed": False}}).proxy.notes is None


@pytest.mark.parametrize(
    "update, expected",
    [
        ({"conditions": "abc"}, "GA-001: conditions: Input should be a valid list"),
        ({"conditions": ["具有本市户籍", ""]}, "GA-001: conditions[1]: Value should have at least 1"),
        ({"conditions": ["条" * 41]}, "GA-001: conditions[0]: Value should have at most 40"),
        ({"conditions": ["一", "二", "三", "四", "五"]}, "GA-001: conditions: List should have at most 4 items"),
        ({"conditions": ["具有本市户籍", "具有本市户籍"]}, "GA-001: conditions: condition '具有本市户籍' listed twice"),
        ({"proxy": {"allowed": "maybe"}}, "GA-001: proxy.allowed: Input should be a valid boolean"),
        ({"proxy": "可以代办"}, "GA-001: proxy: Input should be a valid dictionary"),
        ({"proxy": {"allowed": True}}, "GA-001: proxy: notes is required when allowed is true"),
        ({"proxy": {"allowed": True, "notes": "代" * 61}}, "GA-001: proxy.notes: Value should have at most 60"),
        ({"proxy": {"allowed": True, "notes": "持委托书", "who": "家属"}}, "GA-001: proxy.who: Extra inputs are not permitted"),
    ],
)
def test_a_bad_value_is_refused_naming_the_field(tmp_path, update, expected):
    docs = catalogue_docs()
    docs[ITEMS]["items"][0].update(update)
    problems = problems_for(tmp_path, docs)
    assert any(expected in p for p in problems), problems
