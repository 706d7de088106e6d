"""Imports a city's 办事指南 export (CSV or JSON, one row per item, the national catalogue's column names)
into the knowledge base. Each row becomes an item document with one situation ("default"), validated by
the same schema and reference checks as the YAML data files and stored by the same all-or-nothing import."""
from __future__ import annotations

import csv
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from knowledge.loader import Catalogue, CatalogueInvalid, Problem, check_references
from knowledge.models import Hall
from knowledge.schema import CATEGORIES, ItemDoc
from knowledge.store import ImportSummary, known_refs, store_catalogue

NAME, CODE, DEPARTMENT, PLACE = "事项名称", "实施编码", "实施主体", "办理地点"
PROMISED, LEGAL, PHONE, MATERIALS, ONLINE = "承诺时限", "法定时限", "咨询电话", "申请材料", "网上办理"
CONDITIONS, FEE, PROCESS, ALIASES = "受理条件", "收费标准", "办理流程", "别名"
ONLINE_WHERE, SERVICE_OBJECT, VISITS = "网上办理地址", "服务对象", "到办事现场次数"
REQUIRED_COLUMNS = (NAME, CODE, DEPARTMENT, PROMISED, PHONE, MATERIALS)

# Which column an item-document field came from, to name it in a problem.
FIELD_COLUMNS = {
    "code": CODE, "name": NAME, "aliases": ALIASES, "department": DEPARTMENT, "category": DEPARTMENT,
    "service_object": SERVICE_OBJECT, "situations": MATERIALS, "process": PROCESS, "time_limit": PROMISED,
    "fee": FEE, "visits": VISITS, "conditions": CONDITIONS, "online": ONLINE, "halls": PLACE, "phone": PHONE,
}

# 实施主体 keyword -> window category, the more specific first (出入境 and 交警 are 公安 too).
DEPARTMENT_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("出入境", "出入境"), ("交通警察", "交通管理"), ("交警", "交通管理"), ("车辆管理", "交通管理"),
    ("公安", "公安户政"), ("市场监督", "市场监管"), ("市场监管", "市场监管"), ("烟草", "烟草专卖"),
    ("卫生健康", "卫生健康"), ("卫健", "卫生健康"), ("文化", "文化旅游"), ("旅游", "文化旅游"),
    ("住房和城乡建设", "住房建设"), ("住建", "住房建设"), ("交通运输", "交通运输"), ("税务", "税务"),
    ("不动产", "不动产登记"), ("自然资源", "不动产登记"), ("公积金", "住房公积金"),
    ("人力资源", "人力社保"), ("社会保险", "人力社保"), ("社保", "人力社保"), ("医疗保障", "医疗保障"),
    ("医保", "医疗保障"), ("婚姻登记", "婚姻登记"), ("残疾人", "残疾人服务"), ("残联", "残疾人服务"),
    ("民政", "社会救助"), ("教育", "教育"), ("供水", "公用事业"), ("供电", "公用事业"), ("燃气", "公用事业"),
    ("水务", "公用事业"),
)
# 民政 also registers marriages: the item's name tells.
NAME_CATEGORIES: tuple[tuple[str, str], ...] = (("结婚", "婚姻登记"), ("离婚", "婚姻登记"), ("婚姻", "婚姻登记"))

IMMEDIATE = ("即办", "即时办结", "当场办结", "立即办结", "即来即办")
DAYS = re.compile(r"^(\d{1,3})\s*(?:个)?\s*(?:工作日|日|天)?$")
SEPARATORS = re.compile(r"[；;\n]+")
LIST_SEPARATORS = re.compile(r"[；;、，,/\n]+")
NUMBERING = re.compile(r"^\s*(?:\d{1,2}\s*[.．、)）]|[（(]\d{1,2}[)）]|[①-⑳])\s*")
COPIES = re.compile(r"(\d{1,2})\s*份")
ANNOTATION = re.compile(r"[（(][^（()）]*(?:原件|复印件|份|电子)[^（()）]*[)）]|(?:原件及复印件|原件和复印件|原件|复印件)\s*\d*\s*份?$")
OPTIONAL_MARKS = ("如有", "选填", "非必要", "非必需", "（可选）")
FREE = ("", "无", "不收费", "免费", "否", "0", "0元")
NO = ("", "否", "无", "不支持", "不可", "暂不支持")
DEFAULT_PROCESS = ["受理", "审查", "决定", "送达"]  # the national template's four steps
DEFAULT_ONLINE_WHERE = "全国一体化政务服务平台"
PHONE_MAX = 32  # the width of kb_item.phone


class RowProblem(ValueError):
    """A cell that cannot be turned into the item document; `column` names it."""

    def __init__(self, column: str, message: str):
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class HallRef:
    code: str
    name: str
    district: str
    categories: frozenset[str]


@dataclass(frozen=True)
class Row:
    number: int  # CSV: the line the record starts on (the header is line 1); JSON: its place in the list, from 1
    cells: dict[str, str]

    def get(self, column: str) -> str:
        return self.cells.get(column, "").strip()


# Reading the export -------------------------------------------------------------------------------------------

def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(_cell(v) for v in value)
    return str(value)


def read_csv(text: str) -> list[Row]:
    reader = csv.reader(text.splitlines(keepends=True))
    header = [h.strip() for h in next(reader, [])]
    rows, line = [], reader.line_num + 1
    for record in reader:
        if any(c.strip() for c in record):
            rows.append(Row(line, {h: c for h, c in zip(header, record, strict=False) if h}))
        line = reader.line_num + 1
    return rows


def read_json(text: str) -> list[Row]:
    data = json.loads(text)
    if isinstance(data, dict):  # {"data": [...]} and the like: the one list inside
        lists = [v for v in data.values() if isinstance(v, list)]
        data = lists[0] if len(lists) == 1 else None
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise ValueError("应为事项对象的数组（或只含一个这样的数组的对象）")
    return [Row(n, {str(k).strip(): _cell(v) for k, v in r.items()}) for n, r in enumerate(data, start=1)]


def read_rows(path: Path) -> list[Row]:
    """The rows of a .csv or .json export; ValueError (in words for the curator) when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"无法读取文件（应为 UTF-8 编码）：{exc}") from exc
    if path.suffix.lower() == ".csv":
        return read_csv(text)
    if path.suffix.lower() == ".json":
        try:
            return read_json(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"不是有效的 JSON（第{exc.lineno}行第{exc.colno}列）：{exc.msg}") from exc
    raise ValueError("只支持 .csv 或 .json 文件")


def read_category_map(path: Path) -> list[tuple[str, str]]:
    """A YAML or JSON mapping 实施主体 keyword -> window category, checked before the built-in keywords."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"无法读取：{exc}") from exc
    if not isinstance(data, dict) or not data:
        raise ValueError("应为“关键词: 窗口类别”的映射")
    wrong = sorted(str(c) for c in data.values() if c not in CATEGORIES)
    if wrong:
        raise ValueError(f"未知的窗口类别：{'、'.join(wrong)}")
    return [(str(k), str(v)) for k, v in data.items()]


# Cells -> item document -----------------------------------------------------------------------------------------

def parse_days(text: str, column: str) -> int:
    value = text.strip()
    if value in IMMEDIATE:
        return 0
    found = DAYS.match(value)
    if not found:
        raise RowProblem(column, f"无法识别“{value}”，应写成“5个工作日”或“即办”" if value else "不能为空")
    return int(found.group(1))


def _material_form(text: str) -> tuple[str, int]:
    if "电子" in text:
        return "电子证照", 0
    if "原件" in text and "复印件" in text:
        return "原件及复印件", 1
    return ("复印件", 1) if "复印件" in text else ("原件", 1)


def parse_material(text: str) -> dict[str, Any]:
    """One 申请材料 entry: 原件 1份 required unless its text says otherwise (复印件, 电子证照, N份, 如有)."""
    form, copies = _material_form(text)
    if form != "电子证照" and (found := COPIES.search(text)):
        copies = int(found.group(1))
    name = NUMBERING.sub("", text)
    while (stripped := ANNOTATION.sub("", name).strip()) != name:
        name = stripped
    optional = any(mark in text for mark in OPTIONAL_MARKS)
    for mark in OPTIONAL_MARKS:
        name = name.replace(mark, "").strip("（）() ")
    return {"name": name or text.strip(), "form": form, "copies": copies, "required": not optional}


def parse_materials(text: str) -> list[dict[str, Any]]:
    parts = [p.strip() for p in SEPARATORS.split(text) if p.strip()]
    if not parts:
        raise RowProblem(MATERIALS, "不能为空")
    return [parse_material(p) for p in parts]


def split_list(text: str, separators: re.Pattern[str] = LIST_SEPARATORS) -> list[str]:
    return [NUMBERING.sub("", p).strip() for p in separators.split(text) if NUMBERING.sub("", p).strip()]


def parse_online(text: str, where: str) -> dict[str, Any]:
    value = text.strip()
    if value in NO:
        return {"available": False}
    if value in ("是", "支持", "可", "全程网办"):
        return {"available": True, "where": where or DEFAULT_ONLINE_WHERE}
    return {"available": True, "where": value}


def parse_fee(text: str) -> dict[str, Any]:
    value = text.strip()
    return {"free": True} if value in FREE else {"free": False, "amount": value}


def parse_service_object(text: str) -> list[str]:
    found = [who for who, marks in (("个人", ("个人", "自然人")), ("法人", ("法人", "企业", "组织"))) if any(m in text for m in marks)]
    return found or ["个人"]


def parse_visits(text: str) -> int:
    value = text.strip()
    if not value:
        return 1
    if not value.isdigit():
        raise RowProblem(VISITS, f"应为数字，不是“{value}”")
    return int(value)


def category_of(department: str, name: str, extra: Sequence[tuple[str, str]] = ()) -> str:
    for keyword, category in [*extra, *DEPARTMENT_CATEGORIES]:
        if keyword in department:
            if category == "社会救助":
                return next((c for k, c in NAME_CATEGORIES if k in name), category)
            return category
    raise RowProblem(DEPARTMENT, f"无法从“{department}”判断窗口类别：请用 --department-category-map 指定")


def hall_for(place: str, category: str, halls: list[HallRef]) -> str:
    """The hall a 办理地点 names (by name, else by the district mentioned last, the most specific),
    among those with a window for the category; else the first such hall."""
    serving = [h for h in halls if category in h.categories]
    if not serving:
        raise RowProblem(PLACE, f"没有哪个大厅设有“{category}”窗口")
    named = [h for h in serving if h.name and h.name in place]
    if named:
        return named[0].code
    by_district = sorted((place.rfind(h.district), h.code) for h in serving if h.district and h.district in place)
    return by_district[-1][1] if by_district else serving[0].code


def row_to_item(row: Row, halls: list[HallRef], category_map: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    """The item document of one row (not yet validated); RowProblem for a cell it cannot read."""
    for column in REQUIRED_COLUMNS:
        if not row.get(column):
            raise RowProblem(column, "不能为空")
    phone = row.get(PHONE)
    if len(phone) > PHONE_MAX:
        raise RowProblem(PHONE, f"最多{PHONE_MAX}个字符，请只保留一个号码")
    promised = parse_days(row.get(PROMISED), PROMISED)
    legal = parse_days(row.get(LEGAL), LEGAL) if row.get(LEGAL) else promised
    category = category_of(row.get(DEPARTMENT), row.get(NAME), category_map)
    return {
        "code": row.get(CODE),
        "name": row.get(NAME),
        "aliases": split_list(row.get(ALIASES)),
        "department": row.get(DEPARTMENT),
        "category": category,
        "service_object": parse_service_object(row.get(SERVICE_OBJECT)),
        "situations": [{"key": "default", "name": row.get(NAME), "materials": parse_materials(row.get(MATERIALS))}],
        "process": split_list(row.get(PROCESS), SEPARATORS) or DEFAULT_PROCESS,
        "time_limit": {"promised_days": promised, "legal_days": legal},
        "fee": parse_fee(row.get(FEE)),
        "visits": parse_visits(row.get(VISITS)),
        "conditions": split_list(row.get(CONDITIONS), SEPARATORS),
        "online": parse_online(row.get(ONLINE), row.get(ONLINE_WHERE)),
        "halls": [hall_for(row.get(PLACE), category, halls)],
        "phone": phone,
    }


# The whole file -------------------------------------------------------------------------------------------------

def _where(row: Row) -> str:
    return f"第{row.number}行 {row.get(CODE) or '（无实施编码）'}"


def _schema_field(loc: tuple[Any, ...]) -> str:
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    return f"{FIELD_COLUMNS.get(str(loc[0]), '-')} ({path})" if loc else "-"


def convert(rows: list[Row], file: str, halls: list[HallRef],
            category_map: Sequence[tuple[str, str]] = ()) -> tuple[Catalogue, list[Problem]]:
    """Every row as a validated item in a catalogue, and a problem for each bad cell (file, row and code, column)."""
    catalogue, problems, seen = Catalogue(files=[file]), [], {}
    for row in rows:
        try:
            doc = ItemDoc.model_validate(row_to_item(row, halls, category_map))
        except RowProblem as exc:
            problems.append(Problem(file, _where(row), exc.column, str(exc)))
            continue
        except ValidationError as exc:
            problems += [Problem(file, _where(row), _schema_field(tuple(e["loc"])), e["msg"].removeprefix("Value error, "))
                         for e in exc.errors()]
            continue
        if doc.code in seen:
            problems.append(Problem(file, _where(row), CODE, f"与第{seen[doc.code]}行重复"))
            continue
        seen[doc.code] = row.number
        catalogue.items[doc.code] = (doc, file)
    return catalogue, problems


def _with_rows(problems: list[Problem], rows: list[Row]) -> list[Problem]:
    """The reference checks name an item by its code: name its row too, and the column."""
    by_code = {r.get(CODE): r for r in rows}
    out = []
    for p in problems:
        row = by_code.get(p.code)
        column = FIELD_COLUMNS.get(re.split(r"[.\[]", p.field)[0], p.field)
        out.append(Problem(p.file, _where(row), f"{column} ({p.field})", p.message) if row else p)
    return out


async def stored_halls() -> list[HallRef]:
    return [HallRef(h.code, h.name, h.district, frozenset(c for w in h.windows for c in w.categories))
            for h in await Hall.all().order_by("id").prefetch_related("windows")]


async def import_guide(path: Path, category_map: Sequence[tuple[str, str]] = ()) -> ImportSummary:
    """Converts, checks and stores an export, all or nothing; raises CatalogueInvalid listing every problem."""
    file = path.name
    try:
        rows = read_rows(path)
    except ValueError as exc:
        raise CatalogueInvalid([Problem(str(path), "-", "-", str(exc))]) from exc
    if not rows:
        raise CatalogueInvalid([Problem(file, "-", "-", "没有事项")])
    halls = await stored_halls()
    if not halls:
        raise CatalogueInvalid([Problem(file, "-", PLACE, "数据库中还没有大厅：请先用 govhall kb import 导入 halls.yaml")])
    catalogue, problems = convert(rows, file, halls, category_map)
    problems += _with_rows(check_references(catalogue, await known_refs()), rows)
    if problems:
        raise CatalogueInvalid(problems)
    return await store_catalogue(catalogue, str(path))
