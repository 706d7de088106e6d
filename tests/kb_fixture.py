"""A small valid catalogue, written as data files, that tests change one field at a time."""
from __future__ import annotations

import copy
from pathlib import Path

import yaml

MATERIAL = {"name": "居民户口簿", "form": "原件", "copies": 1, "required": True, "rongque": False, "exempt": False}

ITEM = {
    "code": "GA-001",
    "name": "居民身份证申领",
    "aliases": ["办身份证", "身份证"],
    "department": "云溪市公安局",
    "category": "公安户政",
    "service_object": ["个人"],
    "situations": [
        {"key": "first", "name": "首次申领", "keywords": ["第一次"], "materials": [copy.deepcopy(MATERIAL)]},
        {"key": "loss", "name": "遗失补领", "keywords": ["丢了", "补办"],
         "materials": [copy.deepcopy(MATERIAL), {"name": "近期免冠照片", "form": "原件", "copies": 2, "required": False}]},
    ],
    "process": ["提交申请", "现场采集指纹", "领取证件"],
    "time_limit": {"promised_days": 15, "legal_days": 60},
    "fee": {"free": False, "amount": "20元", "basis": "发改价格〔2003〕2322号"},
    "visits": 1,
    "online": {"available": True, "where": "云溪办事APP"},
    "halls": ["SMZX"],
    "phone": 87012301,
}

ITEM2 = {
    **copy.deepcopy(ITEM),
    "code": "GA-002",
    "name": "临时居民身份证申领",
    "aliases": ["临时身份证"],
    "situations": [{"key": "default", "name": "临时身份证申领", "materials": [
        {"name": "居民户口簿", "form": "复印件", "copies": 2, "required": True},
        {"name": "近期免冠照片", "form": "原件", "copies": 1, "required": True, "rongque": True},
    ]}],
    "fee": {"free": False, "amount": "10元"},
}

HALL = {
    "code": "SMZX",
    "name": "云溪市市民服务中心",
    "district": "云溪市",
    "address": "凤鸣大道188号",
    "phone": "87010000",
    "opening_hours": {"weekdays": {"am": ["09:00", "12:00"], "pm": ["13:30", "17:30"], "noon_service": True}},
    "windows": [{"code": "A", "name": "公安户政窗口", "categories": ["公安户政"], "count": 4}],
}

BUNDLE = {"code": "YJS-TEST", "name": "办证一件事", "aliases": ["一起办证"], "items": ["GA-001/loss", "GA-002"]}

YEAR = {
    "year": 2026,
    "source": "国务院办公厅通知",
    "holidays": [{"name": "国庆节", "days": ["2026-10-01", "2026-10-07"]}],
    "workdays": [{"date": "2026-09-20", "for": "国庆节"}, {"date": "2026-10-10", "for": "国庆节"}],
}


def catalogue_docs() -> dict[str, dict]:
    """File name (relative to the catalogue root) -> document."""
    return copy.deepcopy({
        "items/public_security.yaml": {"items": [ITEM, ITEM2]},
        "halls.yaml": {"halls": [HALL]},
        "bundles.yaml": {"bundles": [BUNDLE]},
        "holidays.yaml": {"years": [YEAR]},
    })


def write_catalogue(root: Path, docs: dict[str, dict] | None = None) -> Path:
    for name, doc in (docs if docs is not None else catalogue_docs()).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return root
