"""The Chinese name of every field a client sends: request-body fields (the pydantic models under
miniprogram_api/routes) and query parameters. Error messages name a field by these labels; the JSON
keys stay English so that clients can still tell which input to highlight."""
from __future__ import annotations

# Body fields, by their JSON name. A name that means different things in different bodies has its
# label in MODEL_FIELD_LABELS as well (that one wins).
FIELD_LABELS: dict[str, str] = {
    # login and profile
    "code": "登录凭证",
    "openid": "用户标识",
    "name": "姓名",
    "id_number": "身份证号",
    "phone": "手机号",
    # applications
    "item_code": "事项编码",
    "applicant_name": "申请人姓名",
    "applicant_id_number": "申请人身份证号",
    "channel": "办理渠道",
    "citizen_id": "群众账号编号",
    "to": "目标状态",
    "note": "备注",
    "materials": "补正材料",
    "reason": "理由",
    "number": "受理编号",
    "id_last4": "身份证号后4位",
    # appointments
    "slot_id": "时段编号",
    "idempotency_key": "请求编号",
    "attended": "是否到场",
    # ratings and complaints
    "target_type": "评价对象类型",
    "target_id": "评价对象编号",
    "level": "评价等级",
    "comment": "评价内容",
    "category": "类别",
    "text": "内容",
    "hall_code": "大厅编码",
    "window_code": "窗口编号",
    # chat and the console
    "client_msg_id": "消息编号",
    "agent_id": "客服编号",
    # staff: personal data, the FAQ, models
    "kind": "内容类型",
    "ref": "内容编号",
    "key": "问题编码",
    "title": "标题",
    "examples": "问法",
    "answer": "答案",
    "related_items": "相关事项",
    "enabled": "是否启用",
    "ids": "问题记录编号",
    "action": "处理方式",
    "faq_key": "归入的问题编码",
    "new": "新问题",
    "override": "强制上线",
}

# Labels that depend on the body (pydantic model class name → field → label).
MODEL_FIELD_LABELS: dict[str, dict[str, str]] = {
    "CheckInBody": {"code": "签到码"},
    "ComplaintBody": {"text": "留言内容"},
    "ChatBody": {"text": "消息内容"},
    "TextBody": {"text": "消息内容"},
    "AnswerBody": {"text": "答复内容"},
    "TryBody": {"text": "句子"},
    "CloseSlotBody": {"reason": "关闭原因"},
    "TransitionBody": {"reason": "不予受理理由"},
}

# Query parameters (and path parameters), by name.
QUERY_LABELS: dict[str, str] = {
    "after": "起始消息编号",
    "wait": "等待秒数",
    "limit": "条数",
    "q": "关键词",
    "status": "状态",
    "overdue": "是否超期",
    "active": "是否只看未使用的预约",
    "from": "开始日期",
    "to": "结束日期",
    "hall": "大厅",
    "table": "导出的表",
    "situation": "办理情形",
    "day": "日期",
    "item_code": "事项编码",
    "code": "编码",
    "ticket": "登录凭据",
}

# What a field's pattern asks for, said in words (string_pattern_mismatch).
FORMAT_HINTS: dict[str, str] = {
    "openid": "只能包含字母、数字、下划线和短横线",
    "client_msg_id": "只能包含字母、数字和 _ : . - 这几个符号",
    "idempotency_key": "只能包含字母、数字和 _ : . - 这几个符号",
    "number": "应为 YX 加14位数字",
    "id_last4": "应为4位：前3位是数字，最后一位是数字或 X",
    "key": "只能用小写字母、数字和下划线，以小写字母开头，2到48个字符",
}
MODEL_FORMAT_HINTS: dict[str, dict[str, str]] = {
    "CheckInBody": {"code": "应为8位数字"},
}

# Staff roles, as the hall calls them.
ROLE_LABELS: dict[str, str] = {
    "admin": "管理员",
    "manager": "大厅管理员",
    "backoffice": "办件审批人员",
    "agent": "人工客服",
    "curator": "知识库维护人员",
}


def has_label(field: str, model: str | None = None) -> bool:
    return field in MODEL_FIELD_LABELS.get(model or "", {}) or field in FIELD_LABELS


def label(field: str, model: str | None = None) -> str:
    """The Chinese name of a body field (of `model`, a pydantic class name, when given)."""
    return MODEL_FIELD_LABELS.get(model or "", {}).get(field) or FIELD_LABELS.get(field) or field


def query_label(name: str) -> str:
    """The Chinese name of a query parameter."""
    return QUERY_LABELS.get(name) or FIELD_LABELS.get(name) or name


def format_hint(field: str, model: str | None = None) -> str | None:
    return MODEL_FORMAT_HINTS.get(model or "", {}).get(field) or FORMAT_HINTS.get(field)


def roles_text(roles) -> str:
    return "、".join(ROLE_LABELS.get(r, r) for r in roles)
