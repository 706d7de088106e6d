#!/usr/bin/env python3
"""Rebuild the real-citizen development sets from locally fetched public files.

Nothing is downloaded here: fetch the two source repositories yourself (see
README.md in this folder for the URLs and commits) and pass the local paths.

    python3 bench/data/real/build.py \
        --attachments /tmp/real/att2.xlsx /tmp/real/att3.xlsx /tmp/real/att4.xlsx \
        --policy /tmp/real/policy.json

Writes (relative to the project root, i.e. two levels above bench/):
    bench/data/real/complaints_heldout.yml     intents/real/complaints_train.yml
    bench/data/real/not_covered_heldout.yml    intents/real/not_covered_train.yml

Needs: the standard library, PyYAML and openpyxl.
"""
from __future__ import annotations

import argparse
import collections
import glob
import hashlib
import json
import os
import re
import sys
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))

MIN_CHARS, MAX_CHARS = 15, 160
MAX_MESSAGES_PER_SPLIT = 400
MAX_SERVICES_PER_SPLIT = 200
UNLABELLED = "未标注"  # 附件3 / 附件4 carry no 一级标签

HEADER = "# source: see bench/data/real/README.md\n"


# --------------------------------------------------------------------------- split
def in_heldout(key: str) -> bool:
    """Deterministic ~50/50 split: parity of sha256(key)."""
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest(), 16) % 2 == 1


# --------------------------------------------------------------------------- messages
CJK = r"\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
SPACE_RE = re.compile(r"[\s\u3000\u00a0]+")
SPACE_NEAR_CJK = re.compile(rf"(?<=[{CJK}]) | (?=[{CJK}])")
TITLES = ("领导|书记|市长|省长|县长|区长|镇长|厅长|局长|处长|主任|部长|委员|同志|"
          "负责人|工作人员|相关部门|有关部门|政府|先生|女士|主席")
# "尊敬的XX领导：" / "张厅长：" / "书记您好，" / "您好！" at the very start only.
SALUTE_TITLE = re.compile(rf"^(尊敬的)?[^，。！？：,.!?:]{{0,10}}?({TITLES})(们)?[：:，,]\s*")
SALUTE_HELLO = re.compile(r"^(尊敬的)?[^，。！？：,.!?:]{0,10}?(您好|你好|大家好)[！!，,。.：:～~]*\s*")
# personal data: ID-card numbers, mobile and landline numbers, QQ numbers, self-naming
PII = re.compile(r"\d{17}[\dXx]|\d{15}|(?<!\d)1[3-9]\d{9}(?!\d)|\d{3,4}-\d{7,8}|\d{7,}|"
                 r"QQ|qq|微信号|我叫|名叫|本人姓名|我的名字")


def clean(text) -> str:
    t = re.sub(r"_x000[dDaA9]_", " ", str(text or ""))  # Excel-escaped CR/LF/TAB
    t = SPACE_RE.sub(" ", t).strip()
    t = SPACE_NEAR_CJK.sub("", t).strip()
    for _ in range(2):  # "张厅长： 您好！" = title then hello
        t2 = SALUTE_HELLO.sub("", SALUTE_TITLE.sub("", t, count=1), count=1).strip()
        if len(t2) < len(t) and len(t) - len(t2) <= 16:
            t = t2
    return t


def read_messages(path: str):
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    head = [str(c or "").strip() for c in next(rows)]
    col = {h: i for i, h in enumerate(head)}
    need = ("留言编号", "留言详情")
    if not all(k in col for k in need):
        sys.exit(f"{path}: header {head} lacks {need}")
    label_col = col.get("一级标签", col.get("一级分类"))
    for r in rows:
        if not r or r[col["留言编号"]] in (None, ""):
            continue
        mid = str(r[col["留言编号"]]).strip()
        if mid.endswith(".0"):
            mid = mid[:-2]
        label = (str(r[label_col]).strip() if label_col is not None and r[label_col] else "") or UNLABELLED
        yield os.path.basename(path), mid, label, r[col["留言详情"]]


def build_messages(paths):
    seen_ids, seen_text = set(), set()
    kept, stats = [], collections.Counter()
    for path in paths:
        for src, mid, label, raw in read_messages(path):
            stats["read"] += 1
            text = clean(raw)
            if mid in seen_ids:
                stats["dup_id"] += 1
                continue
            seen_ids.add(mid)
            if not (MIN_CHARS <= len(text) <= MAX_CHARS):
                stats["length"] += 1
                continue
            if PII.search(text):
                stats["personal_data"] += 1
                continue
            key = re.sub(r"[^\w]", "", text)
            if key in seen_text:
                stats["dup_text"] += 1
                continue
            seen_text.add(key)
            kept.append({"id": mid, "label": label, "text": text, "_src": src})
    train, held = [], []
    for m in sorted(kept, key=lambda m: hashlib.sha256(m["id"].encode()).hexdigest()):
        (held if in_heldout(m["id"]) else train).append(m)
    # balanced cap: round-robin over labels (only bites if a split exceeds the cap)
    def cap(ms):
        by = collections.defaultdict(list)
        for m in ms:
            by[m["label"]].append(m)
        out, labels = [], sorted(by)
        while len(out) < MAX_MESSAGES_PER_SPLIT and any(by.values()):
            for lab in labels:
                if by[lab] and len(out) < MAX_MESSAGES_PER_SPLIT:
                    out.append(by[lab].pop(0))
        return sorted(out, key=lambda m: (m["label"], int(m["id"]) if m["id"].isdigit() else 0, m["id"]))
    return cap(train), cap(held), stats


# --------------------------------------------------------------------------- services
def catalogue_terms():
    terms = set()
    for f in sorted(glob.glob(os.path.join(ROOT, "knowledge", "data", "items", "*.yaml"))):
        for attempt in range(5):  # the catalogue may be mid-edit; retry a torn read
            try:
                with open(f, encoding="utf-8") as fh:
                    doc = yaml.safe_load(fh) or {}
                break
            except (UnicodeDecodeError, yaml.YAMLError):
                if attempt == 4:
                    raise
                time.sleep(1)
        for it in doc.get("items", []):
            terms.add(str(it["name"]))
            terms.update(str(a) for a in it.get("aliases") or [])
            terms.update(str(s["name"]) for s in it.get("situations") or [] if s.get("name"))
    return {t for t in terms if re.search(r"[\u4e00-\u9fff]", t) and len(t) >= 3}


# Conservative: any policy.json service whose name touches one of these is left out,
# because it shares a meaning with (or sits right next to) an item of our catalogue.
CATALOGUE_NEAR = [
    "身份证", "护照", "社保", "社会保障", "社会保险", "保险", "公积金", "结婚", "婚姻", "离婚",
    "营业执照", "个体", "公司", "企业", "注销", "印章", "刻章", "不动产", "房屋", "房产", "住房",
    "二手房", "商品房", "抵押", "宅基地", "驾驶", "驾照", "机动车", "车辆", "号牌", "上牌",
    "居住证", "暂住", "户口", "户籍", "落户", "入户", "迁移", "出生", "生育", "准生", "计划生育",
    "养老", "退休", "医保", "医疗保障", "就医", "失业", "就业", "低保", "最低生活", "残疾",
    "入学", "学位", "招生", "港澳", "台湾", "通行证", "签注", "出入境", "出境", "入境", "签证",
    "卫生许可", "施工许可", "建筑工程", "娱乐", "食品经营", "餐饮", "无犯罪", "犯罪记录",
    "发票", "纳税", "税", "烟草", "道路运输", "运输经营", "货运", "客运", "水电", "供水", "供电",
    "用电", "燃气", "天然气", "过户", "报装",
    # social assistance (next to 低保), disability (残疾人证), marriage / civil status,
    # school places (入学), business life-cycle (个体户 / 公司), pension contributions
    "婚", "残", "救助", "低收入", "特困", "供养", "曾用名", "国籍", "升学", "派位",
    "停业", "复业", "股权", "设立", "成立", "价格", "售付汇", "缴费",
]
# Not something a citizen asks a service hall for: information pages, events, exhibitions,
# downloads, internal/institutional procedures.
NOISE = [
    "查询", "公布", "公示", "公告", "公开", "发布", "下载", "活动", "举办", "举行", "展览", "特展",
    "展示", "展演", "培训", "讲座", "宣传", "推广", "资讯", "信息", "名单", "动态", "报告", "简介",
    "介绍", "指南", "手册", "在线回答", "留言", "——", "《", "》", "“", "”", "圆满", "研究所",
    "研究院", "科学院", "图书馆", "文化馆", "美术馆", "博物馆", "剧场", "剧院", "舞团", "乐团",
    "比赛", "大赛", "赛事", "成绩", "2019", "2020", "省级", "省重点", "国家级", "专项资金",
    "资金", "项目", "招标", "投标", "中标", "监管", "执法", "处罚", "检查", "抽查", "统计",
    "境外", "外国", "香港", "澳门", "内地", "军", "渔业", "渔船", "捕捞", "水产", "林木", "种子",
    "品种", "农作物", "水土保持", "取水", "河道", "水域", "海域", "海底", "航道", "通航",
    "无线电", "放射", "辐射", "危险化学品", "爆破", "民用爆炸", "核设施", "核技术", "药品", "医疗器械",
    "实验动物", "转基因", "律师事务所", "联营", "仲裁", "司法鉴定机构", "基金会", "社会团体",
    "民办非企业", "宗教", "清真", "电视", "广播", "卫星", "出版", "印刷", "音像", "网络",
    "电影", "演出经纪", "营业性演出", "文物", "考古", "测绘", "地图", "规划", "用地", "土地",
    "矿", "林地", "采伐", "森林", "野生", "超限", "涉路", "公路", "水运", "港口", "船舶", "船员",
    "引航", "机场", "航空", "铁路", "事业单位", "机关", "表彰", "奖励", "评选",
    "评审", "审查", "审核", "审定", "备案", "核准", "初审", "复核", "年检", "延续", "变更", "注册",
    "航标", "闸坝", "水利", "海岛", "海洋", "海藉", "人防", "林业", "苗木", "营造林", "古树",
    "标准", "检验检测", "检测服务", "典当", "信用管理", "造船", "供销", "工商联", "有色金属",
    "侨务", "人事考试局", "统建", "批量", "一物一证", "科普", "民族", "弩", "枪支", "电话咨询",
    "公众咨询", "政务咨询", "咨询投诉", "邮箱", "互动交流", "期刊", "质押",
    "人体器官", "水土流失", "珍贵树木", "健将", "阅报栏", "暖心公益",
]
# What a citizen would type for a few bureaucratic names (shortened name -> citizen phrase).
REPHRASE = {
    "申报职业技能鉴定": "职业技能鉴定报名",
    "门诊网上预约": "门诊预约",
    "预约申请国家统一法律职业资格证书": "法律职业资格证书申领",
    "律师执业证书补证、换证": "律师执业证补办",
    "一次性工伤医疗补助金申请": "工伤医疗补助金申请",
    "自考合格课程跨省转移的确认": "自考课程跨省转移",
    "自考考生免考课程的确认": "自考免考课程确认",
    "遗失技能人员职业资格证书补发申请": "技能人员职业资格证书补发",
    "资产评估师资格全国统一考试": "资产评估师考试报名",
    "红十字会会员或志愿者申请": "红十字会志愿者申请",
    "教师资格证证书验证": "教师资格证验证",
    "普通话水平测试等级证书核发": "普通话等级证书",
    "技工院校学历鉴定证明": "技工院校学历证明",
    "广东司法行政远程会见服务": "监所远程会见",
    "广东法律服务网法律咨询": "法律咨询",
    "全省公务员录用考试报名": "公务员考试报名",
    "依据档案记载出具相关证明": "档案证明",
}
FAMILY_CHARS = 4  # names sharing their first 4 characters fall on the same side of the split
MAX_NOTARY = 40  # policy.json lists ~150 notarisation guides; keep a deterministic sample
SERVICE_END = re.compile(r"(登记|许可|审批|申请|申领|申报|认定|核发|证明|公证|鉴定|补贴|报名|"
                         r"发放|预约|办理|换发|补发|给付|确认|报装|服务|救助|援助|咨询|投诉|证书|"
                         r"调解|考试|资格|申请表|证)$")
PAREN_TAIL = re.compile(r"\s*[（(][^()（）]*(?:[（(][^()（）]*[)）][^()（）]*)*[)）]\s*$")


def shorten(official: str) -> str:
    s = official.strip()
    while PAREN_TAIL.search(s):
        s = PAREN_TAIL.sub("", s).strip()
    s = re.sub(r"[（(][^()（）]*[)）]", "", s)          # inner brackets
    s = re.sub(r"^(广东省|广州市|省)", "", s)
    s = re.sub(r"^(办理|申请办理|申办)", "", s)
    s = re.sub(r"^对", "", s)
    s = re.sub(r"(的)?(办事)?指引$", "", s)                # "收养协议公证指引" -> "收养协议公证"
    s = re.sub(r"(网上|在线)?(申请|申办)$", "申请", s) if not s.endswith("申请") else s
    return s.strip(" ，、")


def build_services(policy_path: str):
    cat = catalogue_terms()
    with open(policy_path, encoding="utf-8") as fh:
        txt = fh.read()
    try:
        data = json.loads(txt)
        data = data if isinstance(data, list) else [data]
    except json.JSONDecodeError:  # the file is one JSON object per line
        data = [json.loads(line) for line in txt.splitlines() if line.strip()]
    stats, seen, out = collections.Counter(), set(), []
    for rec in data:
        official = str(rec.get("TASK_NAME") or "").strip()
        if not official:
            continue
        stats["read"] += 1
        name = shorten(official)
        if name in seen:
            stats["dup"] += 1
            continue
        probe = official + "|" + name
        if any(k in probe for k in CATALOGUE_NEAR) or any(t in probe or (len(name) >= 3 and name in t) for t in cat):
            stats["catalogue_near"] += 1
            seen.add(name)
            continue
        if any(k in probe for k in NOISE):
            stats["not_citizen_facing"] += 1
            seen.add(name)
            continue
        if not (4 <= len(name) <= 16) or not SERVICE_END.search(name):
            stats["shape"] += 1
            seen.add(name)
            continue
        seen.add(name)
        out.append({"name": REPHRASE.get(name, name), "official": official})
    notary = sorted((s for s in out if s["name"].endswith("公证")),
                    key=lambda s: hashlib.sha256(("notary:" + s["name"]).encode()).hexdigest())
    drop = {s["name"] for s in notary[MAX_NOTARY:]}
    stats["notary_sampled_out"] = len(drop)
    out = [s for s in out if s["name"] not in drop]
    train, held = [], []
    for s in sorted(out, key=lambda s: s["name"]):
        (held if in_heldout(s["name"][:FAMILY_CHARS]) else train).append(s)
    return train[:MAX_SERVICES_PER_SPLIT], held[:MAX_SERVICES_PER_SPLIT], stats


# --------------------------------------------------------------------------- output
def dump(path: str, key: str, items, fields):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    body = yaml.safe_dump({key: [{f: it[f] for f in fields} for it in items]},
                          allow_unicode=True, sort_keys=False, width=1000,
                          default_flow_style=None)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(HEADER + body)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--attachments", nargs="*", default=[],
                    help="local 附件2.xlsx / 附件3.xlsx / 附件4.xlsx of the 2020 Teddy Cup C problem")
    ap.add_argument("--policy", help="local data/policy.json of Clarence-Kong/QABasedOnPolicyKnowledgeGraph")
    a = ap.parse_args()
    if a.attachments:
        tr, he, st = build_messages(a.attachments)
        dump(os.path.join(ROOT, "intents", "real", "complaints_train.yml"), "messages", tr, ("id", "label", "text"))
        dump(os.path.join(ROOT, "bench", "data", "real", "complaints_heldout.yml"), "messages", he, ("id", "label", "text"))
        print("messages:", dict(st), "train", len(tr), "heldout", len(he))
        for name, ms in (("train", tr), ("heldout", he)):
            print(" ", name, dict(collections.Counter(m["label"] for m in ms)),
                  dict(collections.Counter(m["_src"] for m in ms)))
    if a.policy:
        tr, he, st = build_services(a.policy)
        dump(os.path.join(ROOT, "intents", "real", "not_covered_train.yml"), "services", tr, ("name", "official"))
        dump(os.path.join(ROOT, "bench", "data", "real", "not_covered_heldout.yml"), "services", he, ("name", "official"))
        print("services:", dict(st), "train", len(tr), "heldout", len(he))


if __name__ == "__main__":
    main()
