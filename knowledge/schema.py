"""The format of the 办事指南 data files (knowledge/SCHEMA.md), as pydantic models."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

CATEGORIES = (
    "公安户政", "出入境", "交通管理", "市场监管", "烟草专卖", "卫生健康", "文化旅游", "住房建设", "交通运输",
    "税务", "不动产登记", "人力社保", "医疗保障", "住房公积金", "婚姻登记", "社会救助", "残疾人服务", "教育", "公用事业",
)
MATERIAL_FORMS = ("原件", "复印件", "原件及复印件", "电子证照")
# An item's code: the demo catalogue's short codes (GA-001) or the national catalogue's 实施编码,
# 31-33 digits and capital letters. Database columns holding an item code are ITEM_CODE_MAX wide.
ITEM_CODE_PATTERN = r"^(?:[A-Z]{2,4}-\d{3}|[0-9A-Z]{31,33})$"
ITEM_CODE_MAX = 40


def _text(value: object) -> object:
    # YAML reads a bare phone number such as 87012301 as an int; it is still text to us.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Text = Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=500)]
ShortText = Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=100)]
Condition = Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=40)]
HHMM = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Material(Strict):
    name: ShortText
    form: Literal["原件", "复印件", "原件及复印件", "电子证照"]
    copies: int = Field(ge=0, le=20)
    required: bool
    rongque: bool = False
    exempt: bool = False
    notes: Text | None = None

    @model_validator(mode="after")
    def _copies_zero_only_when_nothing_handed_in(self) -> Material:
        if self.copies == 0 and not (self.exempt or self.form == "电子证照"):
            raise ValueError("copies is 0 but the material is neither 免提交 (exempt) nor 电子证照")
        return self


class Situation(Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=32)
    name: ShortText
    keywords: list[ShortText] = Field(default_factory=list)
    materials: list[Material] = Field(min_length=1)


class TimeLimit(Strict):
    promised_days: int = Field(ge=0, le=365)
    legal_days: int = Field(ge=0, le=365)

    @model_validator(mode="after")
    def _promise_within_law(self) -> TimeLimit:
        if self.promised_days > self.legal_days:
            raise ValueError("promised_days is longer than legal_days")
        return self


class Fee(Strict):
    free: bool
    amount: ShortText | None = None
    basis: Text | None = None

    @model_validator(mode="after")
    def _amount_when_charged(self) -> Fee:
        if not self.free and not self.amount:
            raise ValueError("amount is required when free is false")
        return self


class Online(Strict):
    available: bool
    where: Text | None = None

    @model_validator(mode="after")
    def _where_when_available(self) -> Online:
        if self.available and not self.where:
            raise ValueError("where is required when available is true")
        return self


class Proxy(Strict):
    """委托代办: whether someone else may apply for the citizen, and what they bring (or why not)."""

    allowed: bool
    notes: Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=60)] | None = None

    @model_validator(mode="after")
    def _notes_when_allowed(self) -> Proxy:
        if self.allowed and not self.notes:
            raise ValueError("notes is required when allowed is true")
        return self


class ItemDoc(Strict):
    code: str = Field(pattern=ITEM_CODE_PATTERN, max_length=ITEM_CODE_MAX)
    name: ShortText
    aliases: list[ShortText] = Field(default_factory=list)
    department: ShortText
    category: Literal[CATEGORIES]  # type: ignore[valid-type]
    service_object: list[Literal["个人", "法人"]] = Field(min_length=1)
    situations: list[Situation] = Field(min_length=1)
    process: list[Text] = Field(min_length=1)
    time_limit: TimeLimit
    fee: Fee
    visits: int = Field(ge=0, le=5)
    conditions: list[Condition] = Field(default_factory=list, max_length=4)  # 受理条件
    proxy: Proxy | None = None  # 委托代办
    online: Online
    halls: list[str] = Field(min_length=1)
    phone: ShortText

    @field_validator("conditions")
    @classmethod
    def _conditions_distinct(cls, value: list[str]) -> list[str]:
        dups = sorted({c for c in value if value.count(c) > 1})
        if dups:
            raise ValueError(f"condition {dups[0]!r} listed twice")
        return value


class BundleDoc(Strict):
    code: str = Field(pattern=r"^YJS-[A-Z]{2,6}$")
    name: ShortText
    aliases: list[ShortText] = Field(default_factory=list)
    items: list[str] = Field(min_length=2)
    notes: Text = ""


class Period(Strict):
    am: tuple[HHMM, HHMM] | None = None
    pm: tuple[HHMM, HHMM] | None = None
    noon_service: bool = False


class OpeningHours(Strict):
    weekdays: Period
    saturday: Period | None = None
    sunday: Period | None = None
    notes: Text | None = None


class Window(Strict):
    code: str = Field(pattern=r"^[A-Z]$")
    name: ShortText
    categories: list[Literal[CATEGORIES]] = Field(min_length=1)  # type: ignore[valid-type]
    count: int = Field(ge=1, le=50)


class HallDoc(Strict):
    code: str = Field(pattern=r"^[A-Z]{2,6}$")
    name: ShortText
    district: ShortText
    address: Text
    transport: list[Text] = Field(default_factory=list)
    parking: Text = ""
    phone: ShortText
    opening_hours: OpeningHours
    windows: list[Window] = Field(min_length=1)
    notes: Text = ""
    self_service: Text = ""
    services: list[Text] = Field(default_factory=list)


class HolidayRange(Strict):
    name: ShortText
    days: tuple[dt.date, dt.date]


class WorkdayDoc(Strict):
    date: dt.date
    for_: ShortText = Field(alias="for")


class YearDoc(Strict):
    year: int = Field(ge=2000, le=2100)
    source: Text
    holidays: list[HolidayRange] = Field(min_length=1)
    workdays: list[WorkdayDoc] = Field(default_factory=list)


class ItemsFile(Strict):
    items: list[ItemDoc] = Field(min_length=1)


class BundlesFile(Strict):
    bundles: list[BundleDoc] = Field(min_length=1)


class HallsFile(Strict):
    halls: list[HallDoc] = Field(min_length=1)


class HolidaysFile(Strict):
    years: list[YearDoc] = Field(min_length=1)
