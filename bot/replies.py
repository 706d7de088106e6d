"""The bot's answers, rendered from item data. Short enough to read on a phone; long lists split."""
from __future__ import annotations

import datetime as dt
from typing import Any

from knowledge.workdays import WorkCalendar

MAX_MATERIALS_PER_MESSAGE = 8

WELCOME = ("您好！我是云溪政务服务助手。可以问我办事要带什么材料、怎么办、多久办好、收不收费、在哪里办，"
           "也可以咨询大厅的办公时间、地址和停车。请直接说您要办的事，比如“办护照要什么材料”。")
ASK_WHICH_ITEM = "请问您要办理的是哪个事项？直接告诉我名称就行，比如“护照”“营业执照变更”“公积金提取”。"
NOT_FOUND = "抱歉，我没有找到“{text}”对应的办事事项。您可以换个说法，比如说出证件或业务的名称；也可以拨打12345咨询。"
CHOICE_NOT_UNDERSTOOD = "没看懂您选的是哪一个，请回复序号或名称，比如“1”。"
OFFER_HUMAN = "抱歉，我还是没能理解您的意思。需要为您转接人工客服吗？回复“是”即可转接。"
NOT_UNDERSTOOD = "抱歉，我没太明白。您可以换个说法，比如“身份证丢了要带什么”“营业执照变更要多久”。"
HANDOFF = "好的，正在为您转接人工客服，请稍候……"
HUMAN_DECLINED = "好的，那您可以换个说法再问我，比如“办护照要什么材料”“公积金提取要多久”。"
AFFIRM_WITHOUT_CONTEXT = "好的。请问您想办理什么事项？直接告诉我事项名称就行，比如“身份证”“公积金提取”。"
DENY_WITHOUT_CONTEXT = "好的。还有什么需要帮您查询的吗？"


def numbered(prompt: str, options: list[str]) -> str:
    lines = [prompt] + [f"{i}. {o}" for i, o in enumerate(options, 1)]
    return "\n".join(lines) + "\n请回复序号或名称。"


def _material_line(n: int, m: dict[str, Any]) -> str:
    if m.get("exempt"):
        how = "免提交，窗口通过数据共享获取"
    elif m["form"] == "电子证照":
        how = "电子证照，无需纸质件"
    else:
        how = f"{m['form']}{m['copies']}份"
    tags = []
    if m.get("rongque"):
        tags.append("可容缺，承诺后补交")
    tail = f"，{'，'.join(tags)}" if tags else ""
    note = f"\n   注：{m['notes']}" if m.get("notes") else ""
    return f"{n}. {m['name']}（{how}{tail}）{note}"


def _chunks(lines: list[str], size: int = MAX_MATERIALS_PER_MESSAGE) -> list[list[str]]:
    """A long list in runs of at most `size`; the numbering carries on, so no "continued" marker is needed."""
    return [lines[i:i + size] for i in range(0, len(lines), size)]


def visits_line(item: dict[str, Any]) -> str:
    online = item["online"]
    where = f"可网上办理：{online['where']}" if online.get("available") else "暂不支持网上办理"
    return f"{item['visits_text']}；{where}。"


def title(item: dict[str, Any], situation: dict[str, Any] | None = None) -> str:
    """【护照】首次申请 — the situation only when it adds something to the item's own name
    (not 【不动产转移登记（二手房买卖）】二手房买卖转移登记)."""
    name = item["name"]
    if situation is None or len(item["situations"]) == 1:
        return f"【{name}】"
    sit = situation["name"]
    shared = max((len(sit[i:j]) for i in range(len(sit)) for j in range(i + 2, len(sit) + 1) if sit[i:j] in name), default=0)
    return f"【{name}】" if shared >= 4 or sit in name else f"【{name}】{sit}"


def materials_messages(item: dict[str, Any], situation: dict[str, Any], offer_booking: bool = True) -> list[str]:
    """One topic per message: what must be brought, then what only some people need, then how many
    visits and whether it can be done online. Runs of more than MAX_MATERIALS_PER_MESSAGE are split."""
    materials = situation["materials"]
    needed = [m for m in materials if m.get("required", True)]
    maybe = [m for m in materials if not m.get("required", True)]
    lines = [_material_line(i, m) for i, m in enumerate(needed + maybe, 1)]
    messages = []
    for n, run in enumerate(_chunks(lines[:len(needed)])):
        head = [f"办理{title(item, situation)}需准备以下{len(needed)}项材料："] if n == 0 else []
        messages.append("\n".join(head + run))
    for n, run in enumerate(_chunks(lines[len(needed):])):
        head = ["以下材料视情况提供："] if n == 0 else []
        messages.append("\n".join(head + run))
    messages.append(visits_line(item) + ("\n需要帮您预约大厅办理时间吗？" if offer_booking else ""))
    return messages


def process_message(item: dict[str, Any]) -> str:
    steps = "\n".join(f"{i}. {s}" for i, s in enumerate(item["process"], 1))
    return f"【{item['name']}】办理流程：\n{steps}\n{visits_line(item)}"


def time_limit_message(item: dict[str, Any], calendar: WorkCalendar | None = None, today: dt.date | None = None) -> str:
    limit = item["time_limit"]
    promised, legal = limit["promised_days"], limit["legal_days"]
    if promised == 0:
        text = f"【{item['name']}】材料齐全、符合条件的当场办结（即办件）。"
    else:
        text = f"【{item['name']}】承诺时限{promised}个工作日（法定时限{legal}个工作日），自受理之日起计算，节假日不计。"
        today = today or dt.date.today()
        if calendar is not None and calendar.covers(today):
            due = calendar.add_workdays(today, promised)
            text += f"\n如果今天受理，预计{due.month}月{due.day}日前办结。"
    return text


def fee_message(item: dict[str, Any]) -> str:
    fee = item["fee"]
    if fee.get("free"):
        text = f"【{item['name']}】不收费。"
    else:
        text = f"【{item['name']}】收费标准：{fee['amount']}。"
    if fee.get("basis"):
        text += f"\n依据：{fee['basis']}"
    return text


def location_message(item: dict[str, Any]) -> str:
    lines = [f"【{item['name']}】可在以下大厅办理："]
    for hall in item["halls"]:
        windows = "、".join(w["name"] for w in hall["windows"])
        lines.append(f"· {hall['name']}（{hall['address']}）{windows}")
    lines.append(f"咨询电话：{item['phone']}。{visits_line(item)}")
    return "\n".join(lines)

BOOKING_ASK_ITEM = "请问您要预约办理什么事项？直接说名称就行，比如“护照”“营业执照变更”。（说“不约了”可随时退出）"
BOOKING_ITEM_UNKNOWN = "没找到这个事项，请换个说法，比如“身份证补办”“公积金提取”。"
BOOKING_ONLINE_ONLY = "“{item}”不需要到大厅办理，可以直接在网上办，不用预约。"
BOOKING_HALL_FULL = "{hall}近7天的号已经约满了，请选择其他大厅。"
BOOKING_DAY_CLOSED = "{day}没有可约的号（可能是节假日、休息日或已约满），请从列出的日期里选。"
BOOKING_TIME_UNKNOWN = "没看懂您要约几点，请说具体时间，比如“10点”“下午3点半”。"
BOOKING_TIME_TAKEN = "{time}没有可约的号，请从上面列出的时间里选。"
BOOKING_CONFIRM = "请确认预约信息：\n事项：{item}\n大厅：{hall}\n时间：{day} {time}\n确认请回复“确认”，不约了请回复“不”。"
BOOKING_OPTIONAL = "预约不是必须的：不预约也可以到大厅现场取号，预约了可以少排队。需要的话回复“好”，我帮您约时间。"
BOOKING_STOPPED = "好的，这次先不预约了。需要时再跟我说“我要预约”。"
BOOKING_NEEDS_ACCOUNT = "这里不能预约，请在微信小程序“云溪政务”或公众号里预约。"
CONFIRM_NOT_UNDERSTOOD = "请回复“确认”或“不”。"
BOOKED = ("预约成功！\n{item_name}\n{hall_name}（{hall_address}）\n{time_text}\n签到码：{check_in_code}\n"
          "请带齐材料，提前10分钟到大厅签到取号。如需取消，最晚在开始前1小时说“取消预约”。")
NO_APPOINTMENTS = "您目前没有待办的预约。需要预约请说“我要预约”。"
APPOINTMENT_LINE = "{item_name}，{hall_name}，{time_text}"
CANCEL_KEPT = "好的，预约保留不变。"
CANCELLED = "已取消预约：{item_name}，{time_text}。需要时可以重新预约。"

PROGRESS_STOPPED = "好的，不查了。需要时再跟我说“查进度”。"
PROGRESS_NUMBER_INVALID = "受理编号是“YX”加14位数字，在受理回执或短信里能找到，比如 YX20261124000123。请再发一次。"
PROGRESS_ID4_INVALID = "请发送申请人身份证号码的最后4位（最后一位可能是X）。"
PROGRESS_ASK_NUMBER = "请发送您的受理编号（YX开头，在受理回执或短信里），我帮您查进度。（说“不查了”可退出）"
PROGRESS_ASK_ID4 = "为保护隐私，请再发送申请人身份证号码的最后4位。"
COMPLAINT = ("很抱歉给您带来了不好的体验。请直接说说遇到了什么问题（哪个大厅、哪个窗口、什么事），我登记后转给相关部门，"
             "5个工作日内答复您。想直接找人工客服的话回复“是”；也可以拨打12345政务服务便民热线反映。")

# The edge of the guide (bot/grounding.py): said plainly, in the citizen's own words, with a way on.
NOT_COVERED = ("抱歉，办事指南里暂时没有「{phrase}」，我没法给您准确答复。建议拨打12345政务服务便民热线咨询；"
               "需要人工客服的话回复“是”，非工作时间可以留言。")
NEAR_MISS = "办事指南里没有「{phrase}」。相近的是【{name}】，您问的是它吗？是的话回复“是”；不是的话可以拨打12345咨询，或回复“人工”。"
NEAR_MISS_DECLINED = "好的。「{phrase}」不在办事指南里，建议拨打12345政务服务便民热线咨询；需要人工客服请回复“人工”。"
UNSTATED = ("办事指南里没有写【{name}】的{topic}，我不能给您准确答复。{known}"
            "请拨打咨询电话{phone}或12345问清楚，也可以回复“人工”转人工客服。")


def online_message(item: dict[str, Any]) -> str:
    online = item["online"]
    if online.get("available"):
        return f"【{item['name']}】可以网上办理：{online['where']}。{item['visits_text']}。"
    halls = "、".join(h["name"] for h in item["halls"])
    return f"【{item['name']}】暂不能网上办理，需要到窗口办理（{halls}）。{item['visits_text']}。"


def visits_message(item: dict[str, Any]) -> str:
    visits = item["visits"]
    how = {0: "全程网上办理，不用到现场", 1: "材料齐全的话最多跑一次"}.get(visits, f"需要到现场{visits}次")
    online = f"\n网上办理：{item['online']['where']}" if item["online"].get("available") else ""
    return f"【{item['name']}】{how}。{online}"


def proxy_message(item: dict[str, Any]) -> str | None:
    proxy = item.get("proxy")
    if not proxy:
        return None
    notes = f"{proxy['notes']}" if proxy.get("notes") else ""
    if proxy.get("allowed"):
        return f"【{item['name']}】可以委托他人代办。{notes}".rstrip()
    return f"【{item['name']}】不能代办，需要本人办理。{notes}".rstrip()


def rongque_message(item: dict[str, Any]) -> str:
    rongque = list(dict.fromkeys(m["name"] for s in item["situations"] for m in s["materials"] if m.get("rongque")))
    if not rongque:
        return f"【{item['name']}】没有可以容缺的材料，需要材料齐全才能受理。不确定材料的话，可以先问我“要带什么材料”。"
    return (f"【{item['name']}】以下材料可以容缺受理（先受理，签承诺书后补交）：\n"
            + "\n".join(f"· {n}" for n in rongque) + "\n其他材料需要带齐。")


def conditions_message(item: dict[str, Any]) -> str | None:
    conditions = item.get("conditions") or []
    if not conditions:
        return None
    return f"【{item['name']}】受理条件：\n" + "\n".join(f"{i}. {c}" for i, c in enumerate(conditions, 1))


def situations_message(item: dict[str, Any]) -> str:
    """The item's situations as numbered options ("which one are you?"), or that there is only one."""
    names = [s["name"] for s in item["situations"]]
    if len(names) == 1:
        return f"【{item['name']}】只有一种办理情形，不用区分。"
    return numbered(f"【{item['name']}】分以下几种情形，请问您是哪一种？", names)


def unstated_message(item: dict[str, Any], topic: str) -> str:
    known = ""
    if topic in ("年龄要求", "申请条件") and item.get("conditions"):
        known = "办事指南写明的受理条件是：" + "；".join(item["conditions"]) + "。"
    return UNSTATED.format(name=item["name"], topic=topic, known=known, phone=item["phone"])


def bundle_overview(bundle: dict[str, Any]) -> list[str]:
    """一件事: what it covers, one merged materials list, and where it is done at one window."""
    items = "\n".join(f"{i}. {x['name']}（{x['situation']}）" for i, x in enumerate(bundle["items"], 1))
    messages = [f"【{bundle['name']}】一次告知、一表申请、一窗受理，包括{len(bundle['items'])}个事项：\n{items}"]
    needed = [m for m in bundle["materials"] if m.get("required", True) and not m.get("exempt")]
    lines = [_material_line(i, m) for i, m in enumerate(needed, 1)]
    for n, run in enumerate(_chunks(lines)):
        head = [f"合并后需准备以下{len(needed)}项材料（同一材料只交一次）："] if n == 0 else []
        messages.append("\n".join(head + run))
    if bundle.get("notes"):
        messages.append(f"办理方式：{bundle['notes']}。")
    return messages


def bundle_answer(bundle: dict[str, Any], items: list[dict[str, Any]], question: str) -> list[str]:
    """A follow-up on a bundle ("要多久", "收费吗"): each of its items answered in one line."""
    if question in ("materials", "process", "situations"):
        return bundle_overview(bundle)
    if question == "location":
        return [f"【{bundle['name']}】{bundle['notes']}。" if bundle.get("notes") else location_message(items[0])]
    lines = []
    for item in items:
        if question == "time_limit":
            days = item["time_limit"]["promised_days"]
            lines.append(f"· {item['name']}：{'即办' if days == 0 else f'承诺{days}个工作日'}")
        elif question == "fee":
            fee = item["fee"]
            lines.append(f"· {item['name']}：{'不收费' if fee.get('free') else fee['amount']}")
        elif question in ("online", "visits"):
            online = item["online"]
            lines.append(f"· {item['name']}：{item['visits_text']}，{'可网上办理' if online.get('available') else '需到窗口'}")
        else:
            return bundle_overview(bundle)
    heads = {"time_limit": "各事项的承诺时限", "fee": "各事项的收费", "online": "各事项能否网上办", "visits": "各事项跑动次数"}
    return [f"【{bundle['name']}】{heads[question]}：\n" + "\n".join(lines)]


def complaint_filed(ticket: str, due: dt.date, suggestion: bool = False) -> str:
    opening = "感谢您的建议。" if suggestion else "很抱歉给您添麻烦了。"
    return (f"{opening}您反映的问题已登记，编号{ticket}，我们会转给相关部门，{due.month}月{due.day}日前答复您，答复会发到这里。"
            "需要转接人工客服的话回复“是”；紧急情况请拨打12345。")


def complaint_answer(ticket: str, answer: str) -> str:
    return f"您反映的问题（编号{ticket}）已有答复：\n{answer}\n如对答复不满意，可以回复“人工”或拨打12345。"
