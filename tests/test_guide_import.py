"""Importing a city's 办事指南 export (CSV or JSON with the national catalogue's columns) as items."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from knowledge.guide_import import HallRef, Row, category_of, hall_for, import_guide, parse_days, parse_materials, read_csv, row_to_item
from knowledge.loader import CatalogueInvalid
from knowledge.models import Item, KbImport
from knowledge.schema import ItemDoc
from knowledge.service import KnowledgeService
from miniprogram_api.models.stats import MessageDay
from tests.conftest import KB_PATH

GOVHALL = [sys.executable, "-m", "miniprogram_api.cli"]
CODE_31 = "11440100MB2C92107R4442111834000"
CODE_33 = "11440100MB2C92107R444211183400001"
COLUMNS = ["事项名称", "实施编码", "实施主体", "办理地点", "承诺时限", "法定时限", "咨询电话", "申请材料", "网上办理", "收费标准", "别名"]


def guide_rows() -> list[dict[str, str]]:
    return [
        {"事项名称": "居住证签注办理", "实施编码": CODE_31, "实施主体": "云溪市公安局东湖分局",
         "办理地点": "云溪市东湖区政务服务中心公安窗口", "承诺时限": "即办", "法定时限": "5个工作日", "咨询电话": "87012399",
         "申请材料": "1.居民身份证原件；2.居住证（原件及复印件2份）\n3.近期免冠照片（如有）", "网上办理": "是",
         "收费标准": "不收费", "别名": "居住证续签；居住证签注"},
        {"事项名称": "食品经营许可证新办", "实施编码": CODE_33, "实施主体": "云溪市市场监督管理局",
         "办理地点": "云溪市市民服务中心", "承诺时限": "10个工作日", "法定时限": "20个工作日", "咨询电话": "87013300",
         "申请材料": "营业执照复印件;食品安全管理制度", "网上办理": "https://zwfw.example.gov.cn/sp",
         "收费标准": "", "别名": ""},
        {"事项名称": "结婚登记预约改期", "实施编码": "11440100MB2C92107R4442111834002", "实施主体": "云溪市民政局",
         "办理地点": "西城区政务服务中心", "承诺时限": "即办", "法定时限": "即办", "咨询电话": "87015500",
         "申请材料": "居民身份证；居民户口簿", "网上办理": "否", "收费标准": "", "别名": ""},
    ]


def write_csv(path, rows: list[dict[str, str]]):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def write_json(path, rows: list[dict[str, str]]):
    path.write_text(json.dumps({"data": rows}, ensure_ascii=False), encoding="utf-8")
    return path


HALLS = [HallRef("SMZX", "云溪市市民服务中心", "云溪市", frozenset({"公安户政", "市场监管", "婚姻登记", "教育"})),
         HallRef("DHQ", "东湖区政务服务中心", "东湖区", frozenset({"公安户政", "市场监管"})),
         HallRef("XCQ", "西城区政务服务中心", "西城区", frozenset({"公安户政", "婚姻登记"}))]


# Converting cells --------------------------------------------------------------------------------------------

def test_materials_are_split_and_read():
    materials = parse_materials("1.居民身份证原件；2.居住证（原件及复印件2份）\n3.近期免冠照片（如有）;营业执照复印件;结婚证电子证照")
    assert [(m["name"], m["form"], m["copies"], m["required"]) for m in materials] == [
        ("居民身份证", "原件", 1, True), ("居住证", "原件及复印件", 2, True), ("近期免冠照片", "原件", 1, False),
        ("营业执照", "复印件", 1, True), ("结婚证电子证照", "电子证照", 0, True)]


@pytest.mark.parametrize(("text", "days"), [("5个工作日", 5), ("即办", 0), ("20工作日", 20), ("15", 15), ("20日", 20)])
def test_time_limits_in_working_days(text, days):
    assert parse_days(text, "承诺时限") == days


@pytest.mark.parametrize("text", ["三天", "尽快", "1个月", ""])
def test_an_unreadable_time_limit_is_refused(text):
    with pytest.raises(ValueError):
        parse_days(text, "承诺时限")


def test_hall_by_name_by_district_else_the_first_serving_the_category():
    assert hall_for("西城区政务服务中心2楼", "婚姻登记", HALLS) == "XCQ"
    assert hall_for("云溪市东湖区XX路1号", "公安户政", HALLS) == "DHQ"  # the district named last is the specific one
    assert hall_for("东湖区XX路1号", "婚姻登记", HALLS) == "SMZX"  # DHQ has no 婚姻登记 window
    assert hall_for("", "教育", HALLS) == "SMZX"


def test_category_from_the_department_and_the_map():
    assert category_of("云溪市公安局出入境管理支队", "护照签发") == "出入境"
    assert category_of("云溪市民政局", "结婚登记") == "婚姻登记"
    assert category_of("云溪市民政局", "最低生活保障审批") == "社会救助"
    assert category_of("云溪市数据局", "证明开具", [("数据局", "公用事业")]) == "公用事业"
    with pytest.raises(ValueError, match="无法从“云溪市数据局”判断窗口类别"):
        category_of("云溪市数据局", "证明开具")


def test_csv_rows_are_numbered_by_the_line_they_start_on():
    rows = read_csv('事项名称,实施编码\n"甲\n乙",A\n\n丙,B\n')
    assert [(r.number, r.get("事项名称")) for r in rows] == [(2, "甲\n乙"), (5, "丙")]


@pytest.mark.parametrize("code", [CODE_31, CODE_33, "GA-001", "GJJ-012"])
def test_item_codes_short_and_national(code):
    item = row_to_item(Row(2, guide_rows()[0] | {"实施编码": code}), HALLS)
    assert ItemDoc.model_validate(item).code == code


@pytest.mark.parametrize("code", [CODE_33 + "1", CODE_31.lower(), "11440100mb2c92107r4442111834000", "GA001", "1144-0100"])
def test_long_lowercase_and_odd_codes_are_refused(code):
    with pytest.raises(ValidationError, match="code"):
        ItemDoc.model_validate(row_to_item(Row(2, guide_rows()[0] | {"实施编码": code}), HALLS))


# Importing ---------------------------------------------------------------------------------------------------

@pytest.mark.both_databases
async def test_a_csv_export_imports_and_its_items_are_found_by_name(seeded_db, tmp_path):
    summary = await import_guide(write_csv(tmp_path / "guide.csv", guide_rows()))
    assert summary.created == {"items": 3} and summary.revision
    service = KnowledgeService(refresh_seconds=0)
    for name, code in [("居住证签注办理", CODE_31), ("食品经营许可证新办", CODE_33)]:
        assert (await service.search(name))[0].code == code
    stored = await Item.get(code=CODE_33)
    assert len(stored.code) == 33 and stored.category == "市场监管" and stored.halls == ["SMZX"]
    assert stored.online == {"available": True, "where": "https://zwfw.example.gov.cn/sp"}
    permit = await Item.get(code=CODE_31)
    assert permit.halls == ["DHQ"] and (permit.promised_days, permit.legal_days) == (0, 5)
    assert permit.aliases == ["居住证续签", "居住证签注"] and permit.source_file == "guide.csv"
    again = await import_guide(tmp_path / "guide.csv")
    assert not again.changed


async def test_a_json_export_imports_the_same(seeded_db, tmp_path):
    summary = await import_guide(write_json(tmp_path / "guide.json", guide_rows()))
    assert summary.created == {"items": 3}
    hits = await KnowledgeService(refresh_seconds=0).search("结婚登记预约改期")
    assert hits[0].code == "11440100MB2C92107R4442111834002"
    assert (await Item.get(code=hits[0].code)).category == "婚姻登记"


@pytest.mark.parametrize(("change", "column"), [({"事项名称": ""}, "事项名称"), ({"承诺时限": "三天左右"}, "承诺时限")])
async def test_a_bad_row_stores_nothing_and_is_named(seeded_db, tmp_path, change, column):
    before = (await Item.all().count(), await KbImport.all().count())
    rows = guide_rows()
    rows[2] |= change
    with pytest.raises(CatalogueInvalid) as exc:
        await import_guide(write_csv(tmp_path / "guide.csv", rows))
    # the third record starts on line 5: the header is line 1, and the first record's 申请材料 spans two lines
    assert [str(p) for p in exc.value.problems] == [
        f"guide.csv: 第5行 11440100MB2C92107R4442111834002: {column}: " + exc.value.problems[0].message]
    assert (await Item.all().count(), await KbImport.all().count()) == before
    assert not await Item.filter(code=CODE_31).exists()


async def test_bad_codes_and_duplicates_are_each_reported(seeded_db, tmp_path):
    rows = guide_rows()
    rows[0]["实施编码"] = CODE_33 + "9"  # 34 characters
    rows[1]["实施编码"] = CODE_33.lower()
    rows.append(dict(rows[2]))
    with pytest.raises(CatalogueInvalid) as exc:
        await import_guide(write_json(tmp_path / "guide.json", rows))
    lines = [str(p) for p in exc.value.problems]
    assert lines[0].startswith(f"guide.json: 第1行 {CODE_33}9: 实施编码 (code): String should match pattern")
    assert lines[1].startswith(f"guide.json: 第2行 {CODE_33.lower()}: 实施编码 (code)")
    assert lines[2] == "guide.json: 第4行 11440100MB2C92107R4442111834002: 实施编码: 与第3行重复"
    assert not await Item.filter(code__in=[r["实施编码"] for r in rows]).exists()


async def test_an_unknown_department_needs_the_map(seeded_db, tmp_path):
    rows = guide_rows()[:1]
    rows[0]["实施主体"] = "云溪市数据局"
    with pytest.raises(CatalogueInvalid, match="problem") as exc:
        await import_guide(write_csv(tmp_path / "guide.csv", rows))
    assert "实施主体: 无法从“云溪市数据局”判断窗口类别" in str(exc.value.problems[0])
    await import_guide(tmp_path / "guide.csv", [("数据局", "公安户政")])
    assert (await Item.get(code=CODE_31)).category == "公安户政"


@pytest.mark.both_databases
async def test_a_national_code_fits_every_item_code_column(database_url):
    import datetime as dt

    row = await MessageDay.create(day=dt.date(2026, 11, 2), channel="wechat", outcome="answered", item_code=CODE_33, count=1)
    assert (await MessageDay.get(id=row.id)).item_code == CODE_33


def test_the_command_reports_every_problem_and_imports_all_or_nothing(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite://{tmp_path / 'cli.sqlite3'}"}

    def govhall(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(GOVHALL + list(args), capture_output=True, text=True, env=env, timeout=120)

    assert govhall("kb", "import", str(KB_PATH / "halls.yaml")).returncode == 0
    rows = guide_rows()
    rows[1]["承诺时限"] = "尽快"
    bad = govhall("kb", "import-guide", str(write_csv(tmp_path / "guide.csv", rows)))
    assert bad.returncode == 1
    assert f"guide.csv: 第4行 {CODE_33}: 承诺时限: 无法识别“尽快”" in bad.stderr
    assert "1 problem(s); nothing was imported" in bad.stderr
    good = govhall("kb", "import-guide", str(write_csv(tmp_path / "guide.csv", guide_rows())))
    assert good.returncode == 0, good.stderr
    assert "created: 3 items" in good.stdout
    mapping = tmp_path / "map.yaml"
    mapping.write_text("数据局: 不存在的类别\n", encoding="utf-8")
    refused = govhall("kb", "import-guide", str(tmp_path / "guide.csv"), "--department-category-map", str(mapping))
    assert refused.returncode == 2 and "未知的窗口类别：不存在的类别" in refused.stderr
