"""Item search on what citizens actually type, over the demo catalogue (no database needed)."""
from __future__ import annotations

import pytest
import yaml

from knowledge.loader import load_catalogue
from knowledge.search import SearchEntry, SearchIndex
from tests.conftest import KB_PATH, ROOT

CATALOGUE = load_catalogue(KB_PATH)
INDEX = SearchIndex(
    [SearchEntry.from_item(doc.model_dump()) for doc, _ in CATALOGUE.items.values()]
    + [SearchEntry.from_bundle(doc.model_dump()) for doc, _ in CATALOGUE.bundles.values()]
)


def top(query: str, kind: str = "item") -> str | None:
    hits = INDEX.search(query, kind=kind)
    return hits[0].code if hits else None


@pytest.mark.parametrize("query, code", [
    ("护照", "CRJ-001"),
    ("護照過期了咋辦", "CRJ-001"),  # traditional characters
    ("营业执造地址变更", "SC-003"),  # homophone typo
    ("身分证掉了", "GA-001"),
    ("户口签移", "GA-003"),
    ("那个 嗯 我想问一下 开个体户要带啥", "SC-001"),  # filler
    ("ID card", "GA-001"),  # English
    ("临时身份证", "GA-002"),  # the longer name wins over the shorter one inside it
    ("公积金提取", "GJJ-001"),
])
def test_colloquial_queries_find_the_item(query, code):
    assert top(query) == code


def test_unrelated_or_generic_text_finds_nothing():
    for query in ("今天天气怎么样", "你好", "我想办证", "哈哈哈"):
        assert INDEX.search(query) == [], query


def test_a_generic_word_keeps_every_item_it_may_mean():
    codes = {h.code for h in INDEX.search("公积金")}
    assert {"GJJ-001", "GJJ-002"} <= codes


def test_the_query_points_at_a_situation():
    hit = INDEX.search("身份证丢了怎么补办")[0]
    assert (hit.code, hit.situation) == ("GA-001", "loss")


def test_bundles_are_searched_apart_from_items():
    assert top("买二手房要办哪些手续", kind="bundle") == "YJS-ESF"
    assert all(h.kind == "item" for h in INDEX.search("开公司", kind="item"))


def test_quality_floor_on_the_held_out_queries():
    """bench/search_bench.py prints the figures; this guards against a change that breaks search broadly."""
    cases = yaml.safe_load((ROOT / "bench" / "data" / "search_eval.yaml").read_text(encoding="utf-8"))["queries"]
    right = sum(top(c["q"]) == c["expect"] for c in cases)
    assert right / len(cases) >= 0.90



def _with_a_city_s_variants(*variants: tuple[str, str]) -> SearchIndex:
    """The demo catalogue with variants a city's catalogue lists beside its items."""
    return SearchIndex(INDEX.entries + [SearchEntry(code, name, "item") for code, name in variants])


def test_a_bare_licence_name_finds_the_plain_item_before_its_qualified_variants():
    """A citizen who names the licence alone means the plain item (YC-001 …核发), not whichever variant's
    code sorts first: at equal scores the item that leaves least unsaid wins."""
    index = _with_a_city_s_variants(("A-01", "烟草专卖零售许可证（临时）注销"), ("A-02", "烟草专卖零售许可证停业"),
                                    ("A-03", "烟草专卖零售许可证（分支机构）变更"))
    assert index.search("烟草专卖零售许可证")[0].code == "YC-001"
    assert index.search("菸草專賣零售許可證")[0].code == "YC-001"


def test_a_query_that_barely_touches_a_long_name_gets_no_bonus_for_sharing_its_first_word():
    """低保 begins 低保边缘家庭救助申领（网上申请）, but 低保怎么申请 asks about 最低生活保障申请 (MZ-003)."""
    index = _with_a_city_s_variants(("A-11", "低保边缘家庭救助申领（网上申请）"), ("A-12", "低保边缘家庭救助暂停发放（首次申请）"))
    assert index.search("低保怎么申请")[0].code == "MZ-003"
