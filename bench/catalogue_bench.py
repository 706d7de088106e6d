"""A real city's catalogue size: importing it, searching it, holding it in memory, training on it.

    .venv/bin/python bench/catalogue_bench.py [--items 1500] [--search-items 5000] [--seed 20261123]
                                             [--train] [--keep DIR]

Generates a synthetic but realistic 办事指南 export (CSV, the national catalogue's column names as
knowledge/guide_import.py reads them): base services (食品经营许可证, 医师, 社会团体, 排污许可证 …) of the
departments a city has, crossed with the actions a catalogue lists for each kind (核发/变更/延续/注销/补办,
首次注册/变更注册 …) and, when more rows are asked for, with the sub-types real catalogues add in brackets
(（告知承诺制）, （分支机构）…). 实施编码 are unique 31–33 character codes, 办理地点 name the demo halls, and
departments without a built-in window category (生态环境, 农业农村 …) go through a category map, as a city's
curator would pass with `govhall kb import-guide --department-category-map`. Same --seed, same rows.

Then, on a fresh SQLite database in a temporary directory (kept with --keep DIR):

1. import: the demo catalogue, then `import_guide` of --items rows (rows/s), the same file again (all
   unchanged), a copy with bad rows (refused whole: nothing stored), and the rows up to --search-items;
2. search: knowledge.search.SearchIndex over the demo items plus generated items, --search-items in all;
   top-1 on the held-out bench/data/search_eval.yaml with the demo catalogue alone and with the big one
   (did accuracy hold?), top-1 on generated names and shortened names; per-query latency with cold caches
   (p50/p95/p99) against the 5 ms target and against the floor, one cold `search.tokens(query)` call;
3. memory: RSS of this process and the size of the app's KnowledgeService snapshot (items, halls, search
   index) loaded from the database, at --items and at --search-items;
4. --train (slow: ~10+ min at 1,500 items): a temporary project with the generated items as a YAML items
   file next to the demo's, bot.nlu_generate, then `rasa train` as scripts/train.sh runs it; prints the time,
   the lookup entries and examples generated, the model's size and the trainer's peak RSS.

Targets (issue "scale"): an import with per-row errors is all-or-nothing and names every bad row; search
p95 < 5 ms at 5,000 items; training <= 10 min on 2 cores at 1,500 items; the app's and each Rasa
process's memory reported. The bench prints figures and never asserts them: timings vary between
machines, so each is printed with its ratio to the target or to a floor measured in the same run.
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import gc
import io
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge import guide_import as gi  # noqa: E402
from knowledge import search  # noqa: E402
from knowledge.loader import CatalogueInvalid, read_catalogue  # noqa: E402
from knowledge.normalize import normalize  # noqa: E402
from knowledge.search import SearchEntry, SearchIndex  # noqa: E402

KB = ROOT / "knowledge" / "data"
EVAL = ROOT / "bench" / "data" / "search_eval.yaml"
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
TARGET_P95_MS = 5.0
TARGET_TRAIN_S = 600.0
CITY = "云溪市"
AREA_CODE = "0571"
BAD_BATCH = 50  # rows of the file with bad rows that are new

# The catalogue -------------------------------------------------------------------------------------------------

# What a catalogue lists for each kind of base service: the name is the base followed by the action.
ACTIONS: dict[str, tuple[str, ...]] = {
    "licence": ("核发", "变更", "延续", "注销", "补办"),  # 食品经营许可证核发 …
    "approval": ("审批", "变更", "延期", "注销"),  # 户外广告设置审批 …
    "practitioner": ("执业注册", "变更注册", "延续注册", "注销注册", "执业证书补办"),  # 医师执业注册 …
    "entity": ("成立登记", "变更登记", "注销登记", "登记证书补领"),  # 社会团体成立登记 …
    "filing": ("备案", "变更备案", "注销备案"),  # 第二类医疗器械经营备案 …
    "benefit": ("申领", "信息变更", "暂停发放", "恢复发放"),  # 高龄津贴申领 …
    "proof": ("开具", "查询"),  # 个人参保证明开具 …
    "service": ("",),  # a service named whole: 户口迁入, 机动车转移登记, 契税申报 …
}

# 实施主体 (without the city) -> kind -> base services. Every department maps to a window category, through
# guide_import's own keywords or CATEGORY_MAP.
DEPARTMENTS: dict[str, dict[str, list[str]]] = {
    "市场监督管理局": {
        "licence": ["食品经营许可证", "食品生产许可证", "食品小作坊登记证", "药品零售企业许可证", "药品批发企业许可证",
                    "医疗器械经营许可证", "工业产品生产许可证", "特种设备使用登记证", "检验检测机构资质认定证书",
                    "食盐定点批发企业证书", "计量标准考核证书", "承压类特种设备安装改造维修许可证"],
        "entity": ["农民专业合作社", "合伙企业", "个人独资企业", "外国企业常驻代表机构", "股份有限公司分公司"],
        "filing": ["第二类医疗器械经营", "特殊食品销售", "网络食品交易第三方平台", "药品网络销售", "企业章程修正案",
                   "股权出质", "动产抵押", "市场主体歇业", "食品生产加工小作坊生产工艺", "进口非特殊用途化妆品"],
    },
    "卫生健康委员会": {
        "licence": ["医疗机构执业许可证", "放射诊疗许可证", "母婴保健技术服务执业许可证", "饮用水供水单位卫生许可证",
                    "消毒产品生产企业卫生许可证", "职业卫生技术服务机构资质证书", "麻醉药品和第一类精神药品购用印鉴卡",
                    "医疗机构设置批准书", "计划生育技术服务机构执业许可证"],
        "practitioner": ["医师", "护士", "乡村医生", "外国医师来华短期行医", "港澳台医师短期行医", "中医（专长）医师",
                         "母婴保健技术服务人员", "放射工作人员"],
        "filing": ["诊所", "中医诊所", "医疗美容项目", "医疗机构临床检验项目", "消毒产品卫生安全评价", "二级以下医疗机构制剂"],
        "proof": ["出生医学证明", "医师执业证明", "预防接种证明", "独生子女父母光荣证明"],
    },
    "住房和城乡建设局": {
        "licence": ["建筑业企业资质证书", "房地产开发企业资质证书", "工程监理企业资质证书", "安全生产许可证（建筑施工企业）",
                    "商品房预售许可证", "燃气经营许可证", "城镇污水排入排水管网许可证", "建筑施工特种作业操作资格证书",
                    "工程造价咨询企业资质证书", "房屋白蚁防治单位资质证书"],
        "approval": ["户外广告设置", "城市道路占用", "城市道路挖掘", "城市绿地占用", "城市树木砍伐", "临时建筑建设",
                     "拆除环境卫生设施", "建筑垃圾处置", "夜间施工", "大型户外活动场地使用", "临街建筑立面改造",
                     "市政设施改动"],
        "filing": ["建设工程竣工验收", "房屋建筑工程施工图审查", "商品房买卖合同网签", "房屋租赁登记", "住宅专项维修资金使用",
                   "物业服务合同", "建设工程消防验收", "建筑起重机械使用登记"],
    },
    "交通运输局": {
        "licence": ["道路运输经营许可证", "道路旅客运输经营许可证", "道路货物运输经营许可证", "危险货物道路运输经营许可证",
                    "网络预约出租汽车经营许可证", "网络预约出租汽车运输证", "巡游出租汽车经营许可证", "机动车维修经营备案证",
                    "机动车驾驶员培训经营许可证", "港口经营许可证", "水路运输经营许可证", "船舶营业运输证",
                    "道路运输从业人员从业资格证", "出租汽车驾驶员客运资格证"],
        "approval": ["超限运输车辆行驶公路", "公路用地占用", "公路增设平面交叉道口", "跨越公路架设管线", "公路建筑控制区埋设管线",
                     "更新采伐护路林", "在公路上设置非公路标志", "道路客运班线"],
        "filing": ["道路货运站（场）经营", "汽车租赁经营", "机动车维修经营", "客运站经营"],
    },
    "生态环境局": {
        "licence": ["排污许可证", "辐射安全许可证", "危险废物经营许可证", "医疗废物经营许可证"],
        "approval": ["建设项目环境影响报告书", "建设项目环境影响报告表", "夜间建筑施工作业", "防治污染设施拆除或闲置",
                     "排污口设置", "拆除或闲置环境噪声污染防治设施"],
        "filing": ["建设项目环境影响登记表", "突发环境事件应急预案", "放射性同位素转让", "危险废物转移计划",
                   "Ⅳ类Ⅴ类放射源使用"],
    },
    "教育局": {
        "licence": ["民办学校办学许可证", "中外合作办学许可证", "校外培训机构办学许可证", "幼儿园办学许可证",
                    "教师资格证书"],
        "entity": ["民办学校", "民办幼儿园", "非学科类校外培训机构"],
        "service": ["民办学校章程修改", "民办学校分立合并", "适龄儿童少年延缓入学", "适龄儿童少年免予入学", "普通高中学生转学",
                    "义务教育学生转学", "中小学生休学复学"],
        "proof": ["学历证明", "中等职业学校毕业证书遗失证明", "高中毕业证书遗失证明", "学籍证明"],
    },
    "人力资源和社会保障局": {
        "licence": ["人力资源服务许可证", "劳务派遣经营许可证", "民办职业技能培训学校办学许可证", "技工学校办学许可证",
                    "职业技能等级证书", "专业技术资格证书", "社会保障卡", "就业创业证"],
        "benefit": ["一次性创业补贴", "创业担保贷款贴息", "就业见习补贴", "职业培训补贴", "灵活就业社会保险补贴",
                    "稳岗返还", "失业人员价格临时补贴", "工伤保险待遇", "企业职工基本养老金", "城乡居民基本养老金",
                    "丧葬补助金和抚恤金", "病残津贴", "一次性工伤医疗补助金", "技能提升补贴"],
        "service": ["特殊工时工作制", "经济性裁员报告", "企业年金方案", "工伤认定", "劳动能力鉴定", "劳动人事争议仲裁",
                    "职称评审委员会组建", "集体合同审查", "外国人来华工作许可", "养老保险关系转移接续"],
        "proof": ["个人参保证明", "单位参保证明", "个人权益记录", "职工档案存档证明"],
    },
    "公安局": {
        "licence": ["旅馆业特种行业许可证", "公章刻制业特种行业许可证", "典当业特种行业许可证", "保安服务许可证",
                    "剧毒化学品购买许可证", "民用爆炸物品购买许可证", "烟花爆竹道路运输许可证", "枪支持枪证",
                    "大型群众性活动安全许可证", "互联网上网服务营业场所消防安全检查合格证"],
        "service": ["户口迁入", "户口迁出", "投靠亲属落户", "人才引进落户", "大中专学生落户", "户口项目变更更正",
                    "出生日期更正", "姓名变更", "民族成份变更", "户口注销", "烟花爆竹燃放", "公务用枪配备"],
        "filing": ["保安培训单位", "自行招用保安员单位", "网络安全等级保护", "互联网服务单位联网", "二手机动车交易业",
                   "废旧金属收购业", "开锁业", "机动车修理业治安"],
        "proof": ["户籍证明", "亲属关系证明", "死亡证明", "户口登记项目内容变更证明"],
    },
    "公安局交通警察支队": {
        "licence": ["机动车行驶证", "机动车驾驶证", "机动车登记证书", "校车驾驶资格", "临时通行牌证", "货车通行证"],
        "service": ["机动车转移登记", "机动车抵押登记", "机动车变更登记", "机动车注销登记", "机动车检验合格标志核发",
                    "驾驶证损毁换证", "驾驶证降级换证", "驾驶证转入换证", "境外驾驶证换证", "驾驶人提交身体条件证明",
                    "机动车号牌补领", "占用道路施工"],
    },
    "公安局出入境管理支队": {
        "licence": ["往来港澳通行证", "往来台湾通行证", "出入境通行证", "外国人居留许可", "外国人停留证件",
                    "外国人永久居留身份证", "港澳居民来往内地通行证", "台湾居民来往大陆通行证"],
        "service": ["赴港澳团队旅游签注", "赴港澳商务签注", "赴港澳探亲签注", "赴台团队旅游签注", "赴台探亲签注",
                    "外国人签证延期", "外国人签证换发", "外国人签证补发"],
    },
    "民政局": {
        "entity": ["社会团体", "民办非企业单位", "基金会", "社会团体分支机构", "养老机构", "社会工作服务机构"],
        "benefit": ["最低生活保障", "特困人员救助供养", "临时救助", "高龄津贴", "经济困难老年人服务补贴",
                    "困难残疾人生活补贴", "重度残疾人护理补贴", "孤儿基本生活费", "事实无人抚养儿童基本生活补贴",
                    "低保边缘家庭救助", "80周岁以上老人长寿补贴", "殡葬惠民补贴"],
        "service": ["慈善组织认定", "公开募捐资格", "地名命名", "地名更名", "公益性公墓建设", "收养登记", "解除收养登记",
                    "社会团体章程核准", "居民家庭经济状况核对"],
        "proof": ["婚姻登记记录证明", "收养登记证明", "殡葬服务证明"],
    },
    "医疗保障局": {
        "benefit": ["门诊慢特病待遇", "生育医疗费用报销", "医疗费用零星报销", "长期护理保险待遇", "城乡居民医疗救助",
                    "意外伤害医疗费用报销", "异地安置就医"],
        "service": ["定点医药机构申请", "定点医药机构信息变更", "医保关系转移接续", "职工医保参保登记", "医保个人账户家庭共济",
                    "基本医疗保险参保信息变更"],
        "proof": ["医疗保险参保凭证", "医保缴费证明"],
    },
    "文化广电旅游局": {
        "licence": ["营业性演出许可证", "网络文化经营许可证", "旅行社业务经营许可证", "出版物零售经营许可证",
                    "印刷经营许可证", "广播电视节目制作经营许可证", "卫星地面接收设施安装许可证", "艺术品经营单位备案证明",
                    "游艺娱乐场所经营许可证", "文物保护工程资质证书"],
        "approval": ["营业性演出活动", "涉外营业性演出", "文物保护单位建设控制地带内建设", "非国有文物收藏单位藏品出境",
                     "举办健身气功活动", "高危险性体育项目经营", "临时性体育赛事活动"],
        "filing": ["旅行社分社", "旅行社服务网点", "博物馆设立", "互联网上网服务营业场所变更", "演出经纪机构"],
    },
    "税务局": {
        "service": ["增值税一般纳税人登记", "税务注销", "跨区域涉税事项报告", "发票领用", "发票增量", "发票增版",
                    "税收优惠资格", "延期缴纳税款", "延期申报", "退抵税费", "个人所得税专项附加扣除", "车辆购置税申报",
                    "房产税申报", "城镇土地使用税申报", "印花税申报", "契税申报", "社会保险费缴费登记",
                    "完税证明开具", "纳税信用复评", "非居民企业所得税申报"],
    },
    "不动产登记中心": {
        "service": ["国有建设用地使用权首次登记", "房屋所有权转移登记（继承）", "房屋所有权转移登记（赠与）",
                    "不动产变更登记", "不动产更正登记", "不动产异议登记", "不动产预告登记", "不动产查封登记",
                    "不动产注销登记", "不动产权证书补发", "不动产权证书换发", "地役权首次登记", "居住权登记",
                    "宅基地使用权及房屋所有权首次登记", "土地承包经营权登记", "海域使用权登记", "林权登记"],
    },
    "住房公积金管理中心": {
        "service": ["租房提取住房公积金", "购房提取住房公积金", "离职提取住房公积金", "退休提取住房公积金",
                    "偿还贷款提取住房公积金", "大病医疗提取住房公积金", "加装电梯提取住房公积金",
                    "住房公积金缴存登记", "住房公积金汇缴基数调整", "住房公积金账户转移", "住房公积金账户封存",
                    "住房公积金账户启封", "住房公积金贷款提前还款", "住房公积金贷款变更还款方式", "住房公积金缓缴",
                    "灵活就业人员住房公积金缴存"],
        "proof": ["住房公积金缴存证明", "住房公积金贷款结清证明"],
    },
    "残疾人联合会": {
        "benefit": ["残疾人辅助器具适配补贴", "残疾人就业补贴", "残疾儿童康复救助", "残疾学生助学补贴", "残疾人机动轮椅车燃油补贴",
                    "残疾人家庭无障碍改造补贴"],
        "service": ["残疾人证迁移", "残疾人证等级变更", "残疾人证注销", "残疾人按比例就业审核"],
    },
    "烟草专卖局": {
        "licence": ["烟草专卖批发企业许可证", "烟草专卖零售许可证（临时）", "电子烟零售许可证"],
        "service": ["烟草专卖品准运证", "烟草专卖零售许可证停业", "烟草专卖零售许可证恢复营业"],
    },
    "农业农村局": {
        "licence": ["农药经营许可证", "兽药经营许可证", "种子生产经营许可证", "动物防疫条件合格证", "拖拉机和联合收割机行驶证",
                    "生鲜乳收购站许可证", "渔业捕捞许可证", "水产苗种生产许可证", "饲料和饲料添加剂生产许可证",
                    "动物诊疗许可证", "执业兽医资格证书"],
        "approval": ["农村村民宅基地", "农作物种子质量检验机构考核", "动物及动物产品检疫", "水域滩涂养殖证", "渔业船舶登记",
                     "农业机械登记"],
        "filing": ["农药登记试验", "兽药生产质量管理规范检查", "家庭农场", "农业植物品种"],
    },
    "应急管理局": {
        "licence": ["危险化学品经营许可证", "烟花爆竹经营（零售）许可证", "非药品类易制毒化学品经营备案证明",
                    "特种作业操作证", "安全生产知识和管理能力考核合格证", "危险化学品安全使用许可证"],
        "approval": ["生产安全事故应急预案", "危险化学品建设项目安全条件", "金属冶炼建设项目安全设施设计",
                     "第二类非药品类易制毒化学品生产"],
    },
    "城市管理局": {
        "approval": ["城市生活垃圾经营性清扫收集运输", "城市建筑垃圾处置", "临时占用城市道路摆摊设点", "设置大型户外广告",
                     "在城市建筑物上悬挂张贴宣传品", "城市照明设施迁移", "城市排水设施改动", "餐厨垃圾收集运输",
                     "店招店牌设置", "城市供水设施改装拆除"],
    },
    "自然资源和规划局": {
        "licence": ["建设用地规划许可证", "建设工程规划许可证", "乡村建设规划许可证", "测绘资质证书", "地质灾害防治单位资质证书",
                    "采矿许可证", "探矿权勘查许可证", "林木采伐许可证", "使用林地审核同意书", "临时用地批准书"],
        "approval": ["建设项目用地预审", "建设项目选址意见书", "规划条件核实", "建设工程设计方案审查", "修建性详细规划审批",
                     "国有建设用地使用权划拨", "集体建设用地使用权", "土地复垦方案", "永久基本农田占用"],
    },
    "水利局": {
        "licence": ["取水许可证", "河道采砂许可证", "水利工程质量检测单位资质证书"],
        "approval": ["洪水影响评价类", "生产建设项目水土保持方案", "河道管理范围内建设项目", "水工程建设规划同意书",
                     "占用农业灌溉水源及灌排工程设施", "取水工程或设施验收", "非防洪建设项目洪水影响评价"],
    },
    "林业局": {
        "licence": ["野生动物驯养繁殖许可证", "林草种子生产经营许可证", "植物检疫证书", "野生植物采集证"],
        "approval": ["陆生野生动物及其制品出售收购利用", "临时占用林地", "森林经营单位修筑直接为林业生产服务工程设施占用林地",
                     "松材线虫病疫木处理"],
    },
    "供水有限公司": {
        "service": ["用水报装", "用水过户", "用水销户", "水表移位", "用水性质变更", "临时用水", "阶梯水价人口核增"],
    },
    "燃气有限公司": {
        "service": ["管道燃气开户", "管道燃气过户", "管道燃气销户", "燃气表改装", "燃气报停", "燃气复通"],
    },
    "供电公司": {
        "service": ["低压居民用电报装", "低压非居民用电报装", "高压用电报装", "用电过户", "用电销户", "电表迁移",
                    "用电容量变更", "峰谷电价变更", "充电桩报装"],
    },
}
# The departments guide_import has no window category for, as a curator's --department-category-map.
CATEGORY_MAP = {"生态环境": "住房建设", "农业农村": "市场监管", "应急管理": "市场监管", "城市管理": "住房建设",
                "规划": "住房建设", "水利": "住房建设", "林业": "住房建设"}
DISTRICTS = ("东湖区", "西城区")
# Sub-types real catalogues add in brackets, used when more rows are asked for than base × action gives.
PERSONAL_KINDS = ("practitioner", "benefit", "proof", "service")  # for people: 服务对象 自然人 (the first three only)
# and the sub-types of QUALIFIERS["person"]
QUALIFIERS = {
    "organisation": ("告知承诺制", "一般程序", "分支机构", "个体工商户", "外商投资企业", "区县权限", "容缺受理", "网上申请",
                     "港澳台投资", "市级权限", "简易程序", "集团企业", "农村地区", "首次申请", "跨区迁移", "延期换证"),
    "person": ("首次申请", "跨区迁移", "容缺受理", "网上申请", "本市户籍", "非本市户籍", "港澳台居民", "外国人", "代为申请",
               "农村地区", "简易程序", "老年人", "残疾人", "现役军人", "退役军人", "未成年人"),
}
# Suffixes dropped for the shortened form of a name (食品经营许可证变更 -> 食品经营变更).
SHORTENED = ("许可证", "资质证书", "登记证", "证书", "许可", "登记", "审批", "申请", "申报")

MATERIALS: dict[str, list[str]] = {
    "common": ["申请表", "法定代表人居民身份证", "营业执照", "经办人居民身份证", "授权委托书（如有）", "承诺书"],
    "licence": ["经营场所产权证明或租赁合同", "经营场所平面布局图", "主要设备设施清单", "管理制度文本", "专业技术人员资格证书",
                "安全管理人员名单", "原许可证", "检验检测报告"],
    "approval": ["项目情况说明", "设计方案图纸", "现场照片", "相关部门意见", "施工方案", "安全保障措施", "所有权人同意书"],
    "practitioner": ["资格证书", "学历证书", "体检证明", "近6个月内免冠照片", "执业机构聘用证明", "继续教育证明"],
    "entity": ["章程草案", "验资报告", "住所使用证明", "负责人基本情况表", "业务主管单位批准文件", "会员名单"],
    "filing": ["备案表", "情况说明", "相关证明材料", "变更前后对照表"],
    "benefit": ["居民户口簿", "银行账户信息", "收入情况声明", "相关费用票据", "家庭成员情况说明", "残疾人证（如有）"],
    "proof": ["居民户口簿", "相关证明材料", "用途说明"],
    "service": ["居民户口簿", "相关证明材料", "申请书", "原证件", "情况说明", "相关合同或协议"],
}
ACTION_MATERIALS = {"变更": "变更事项证明材料", "补办": "遗失声明", "延续": "原许可证", "注销": "注销申请书",
                    "补领": "遗失声明", "延期": "延期申请书", "暂停": "暂停发放申请", "恢复": "恢复发放申请"}
FORMS = ("原件", "原件", "复印件1份", "原件及复印件", "复印件2份", "电子证照", "")
CONDITIONS = ["申请人具有完全民事行为能力", "经营场所符合规划和安全要求", "具有与业务相适应的专业技术人员", "依法取得营业执照",
              "近三年无重大违法违规记录", "具有健全的管理制度", "属于本市户籍或在本市缴纳社会保险", "申请事项属本部门管辖范围"]


def _departments() -> list[tuple[str, dict[str, list[str]]]]:
    """(实施主体, services): the city's departments, and a district branch of those the districts have."""
    return [(f"国家税务总局{CITY}{d}" if d == "税务局" else f"{CITY}{d}", kinds) for d, kinds in DEPARTMENTS.items()]


def _code(rng: random.Random, serial: int, department_codes: dict[str, str], department: str) -> str:
    """A national-catalogue style 实施编码: the department's 18-character credit code, then the item's serial."""
    if department not in department_codes:
        alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        department_codes[department] = "11330100" + "".join(rng.choice(alphabet) for _ in range(10))
    tail = f"{serial:07d}" + "".join(rng.choice("0123456789") for _ in range(rng.choice((6, 7, 8))))
    return department_codes[department] + tail  # 18 + 13..15 = 31..33 characters


def _materials(rng: random.Random, kind: str, action: str) -> str:
    names = rng.sample(MATERIALS["common"], rng.randint(1, 3)) + rng.sample(MATERIALS[kind], rng.randint(1, 3))
    names += [m for key, m in ACTION_MATERIALS.items() if key in action]
    parts = [f"{name}{rng.choice(FORMS)}" if "（如有）" not in name else name for name in dict.fromkeys(names)]
    if rng.random() < 0.7:
        parts = [f"{i}.{p}" for i, p in enumerate(parts, start=1)]
    return rng.choice(("；", ";", "\n")).join(parts)


def _limits(rng: random.Random) -> tuple[str, str]:
    promised = rng.choice((0, 0, 1, 3, 5, 5, 7, 10, 15, 20))
    legal = max(promised, rng.choice((5, 10, 15, 20, 20, 30, 45, 60)))
    return ("即办" if promised == 0 else f"{promised}个工作日"), f"{legal}个工作日"


def _place(rng: random.Random, department: str) -> str:
    district = next((d for d in DISTRICTS if d in department), None)
    if district:
        return f"{CITY}{district}政务服务中心{rng.choice(('1楼综合窗口', '2楼', ''))}"
    return rng.choice((f"{CITY}市民服务中心{rng.randint(1, 3)}楼", f"{CITY}凤鸣大道188号市民服务中心", "市民服务中心综合受理窗口"))


def generate_rows(total: int, seed: int, taken: set[str]) -> tuple[list[dict[str, str]], int]:
    """`total` export rows (dicts keyed by the export's column names), and how many names were skipped for
    being a demo item's name or alias (`taken`, normalized): a city's export replaces those, not duplicates them."""
    rng = random.Random(seed)
    services = []  # (department, kind, base, action)
    for department, kinds in _departments():
        for kind, bases in kinds.items():
            services += [(department, kind, base, action) for base in bases for action in ACTIONS[kind]]
    rng.shuffle(services)
    names: list[tuple[str, str, str, str, str]] = []  # (name, department, kind, base, action)
    seen, skipped = set(taken), 0
    for round_ in range(len(QUALIFIERS["person"]) + 1):
        for department, kind, base, action in services:
            if len(names) >= total:
                break
            if round_ and rng.random() < 0.5:
                continue  # a sub-type for some services only
            qualifier = QUALIFIERS["person" if kind in PERSONAL_KINDS else "organisation"][round_ - 1] if round_ else ""
            name = f"{base}{action}" + (f"（{qualifier}）" if qualifier else "")
            key = normalize(name)
            if key in seen:
                skipped += key in taken and not qualifier
                continue
            seen.add(key)
            names.append((name, department, kind, base, action))
    if len(names) < total:
        sys.exit(f"the generator makes at most {len(names)} distinct names; ask for fewer")
    rows, department_codes = [], {}
    phones = {}
    for serial, (name, department, kind, base, action) in enumerate(names, start=1):
        if rng.random() < 0.15 and not department.startswith("国家") and "公司" not in department:
            district = rng.choice(DISTRICTS)  # a district branch: 云溪市东湖区市场监督管理局, 云溪市公安局东湖分局
            department = (department.replace("公安局", f"公安局{district[:2]}分局", 1) if department.endswith("公安局")
                          else department.replace(CITY, f"{CITY}{district}", 1))
        phones.setdefault(department, f"{AREA_CODE}-8{rng.randint(7000000, 7999999)}")
        promised, legal = _limits(rng)
        online = rng.random() < 0.6
        rows.append({
            gi.NAME: name,
            gi.CODE: _code(rng, serial, department_codes, department),
            gi.DEPARTMENT: department,
            gi.PLACE: _place(rng, department),
            gi.PROMISED: promised,
            gi.LEGAL: legal,
            gi.PHONE: phones[department],
            gi.MATERIALS: _materials(rng, kind, action),
            gi.ONLINE: "是" if online else "否",
            gi.CONDITIONS: "；".join(rng.sample(CONDITIONS, rng.randint(0, 3))),
            gi.FEE: "不收费" if rng.random() < 0.9 else f"工本费{rng.choice((5, 10, 20))}元",
            gi.SERVICE_OBJECT: "自然人" if kind in PERSONAL_KINDS[:3] else rng.choice(("法人", "自然人、法人", "自然人")),
            gi.VISITS: str(rng.choice((0, 1)) if online else rng.choice((1, 1, 2))),
            gi.PROCESS: "" if rng.random() < 0.7 else "申请；受理；审查；决定；制证；送达",
            "_base": f"{base}\x1f{action}",  # not a column: which service and action, for the shortened queries
        })
    return rows, skipped


def shortened(row: dict[str, str]) -> str:
    base, action = row["_base"].split("\x1f")
    for suffix in SHORTENED:
        if base.endswith(suffix) and len(base) > len(suffix) + 1:
            base = base[: -len(suffix)]
            break
    return base + action


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    columns = [gi.NAME, gi.CODE, gi.DEPARTMENT, gi.PLACE, gi.PROMISED, gi.LEGAL, gi.PHONE, gi.MATERIALS, gi.ONLINE,
               gi.CONDITIONS, gi.FEE, gi.SERVICE_OBJECT, gi.VISITS, gi.PROCESS]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def write_category_map(path: Path) -> list[tuple[str, str]]:
    path.write_text(yaml.safe_dump(CATEGORY_MAP, allow_unicode=True), encoding="utf-8")
    return gi.read_category_map(path)  # the same checks as the CLI's --department-category-map


# Figures ---------------------------------------------------------------------------------------------------------

def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def latency_line(label: str, timings: list[float], floor: list[float]) -> str:
    p50, p95, p99 = statistics.median(timings), pct(timings, 0.95), pct(timings, 0.99)
    f50, f95 = statistics.median(floor), pct(floor, 0.95)
    return (f"  {label:<34} n={len(timings):<5} p50 {p50:6.3f}  p95 {p95:6.3f}  p99 {p99:6.3f} ms | "
            f"p95/target(5 ms) {p95 / TARGET_P95_MS:4.2f} | floor tokens() p50 {f50:.3f} p95 {f95:.3f} ms, "
            f"p95/floor-p95 {p95 / f95:4.1f}x")


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or "?")
    cpus = len(os.sched_getaffinity(0))
    return f"{cpus} CPUs (nproc), {model}, Python {platform.python_version()}"


def timed_search(index: SearchIndex, query: str, kind: str | None) -> tuple[list[str], float, float]:
    """Codes of the top hits, the search's time and the floor's (one tokens() call), both with cold caches (ms)."""
    search.tokens.cache_clear()
    search._clean.cache_clear()
    started = time.perf_counter()
    search.tokens(query, query=True)
    floor = (time.perf_counter() - started) * 1000
    search.tokens.cache_clear()
    search._clean.cache_clear()
    started = time.perf_counter()
    hits = index.search(query, limit=3, kind=kind)
    took = (time.perf_counter() - started) * 1000
    return [h.code for h in hits], took, floor


# 1-2. Import and memory on SQLite ------------------------------------------------------------------------------------

async def snapshot_figures(label: str) -> dict[str, Any]:
    """The app's KnowledgeService snapshot loaded from the database: time, RSS growth, traced size."""
    from knowledge.service import KnowledgeService

    gc.collect()
    before = rss_mb()
    gaps: list[float] = []

    async def ticker() -> None:  # what a request waiting for the event loop would see during the load
        while True:
            at = time.perf_counter()
            await asyncio.sleep(0.005)
            gaps.append(time.perf_counter() - at - 0.005)

    ticking = asyncio.create_task(ticker())
    started = time.perf_counter()
    snapshot = await KnowledgeService().snapshot()
    took = time.perf_counter() - started
    ticking.cancel()
    after = rss_mb()
    items = len(snapshot.items)
    del snapshot
    gc.collect()
    tracemalloc.start()
    snapshot = await KnowledgeService().snapshot()
    gc.collect()
    size = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()
    del snapshot
    return {"label": label, "items": items, "seconds": took, "rss_before": before, "rss_after": after, "traced_mb": size,
            "stall_ms": max(gaps, default=0.0) * 1000}


async def database_phase(work: Path, import_csv: Path, extra_csv: Path | None, bad_csv: Path,
                         category_map: list[tuple[str, str]]) -> tuple[list[str], list[dict[str, Any]]]:
    from knowledge.models import Item
    from knowledge.store import import_path
    from miniprogram_api.db import close_db, init_db, migrate_database

    url = f"sqlite://{work / 'bench.sqlite3'}"
    lines, memory = [], []
    started = time.perf_counter()
    await migrate_database(url)
    await init_db(url)
    lines.append(f"  fresh SQLite database migrated in {time.perf_counter() - started:.2f} s ({work / 'bench.sqlite3'})")
    try:
        started = time.perf_counter()
        summary = await import_path(KB)
        lines.append(f"  demo catalogue (knowledge/data): {summary.created.get('items', 0)} items, "
                     f"{summary.created.get('halls', 0)} halls in {time.perf_counter() - started:.2f} s")
        memory.append(await snapshot_figures("demo catalogue only"))

        rows = len(gi.read_rows(import_csv))
        started = time.perf_counter()
        summary = await gi.import_guide(import_csv, category_map)
        took = time.perf_counter() - started
        lines.append(f"  import_guide, {rows} new rows:      {took:7.2f} s  {rows / took:7.0f} rows/s  "
                     f"(created {summary.created.get('items', 0)}, revision {summary.revision})")
        started = time.perf_counter()
        summary = await gi.import_guide(import_csv, category_map)
        again = time.perf_counter() - started
        lines.append(f"  same file again (unchanged):      {again:7.2f} s  {rows / again:7.0f} rows/s  "
                     f"(unchanged {summary.unchanged.get('items', 0)}, new revision: {summary.revision or 'none'}; "
                     f"{again / took:.0%} of the first import)")

        stored = await Item.all().count()
        bad_rows = len(gi.read_rows(bad_csv))
        started = time.perf_counter()
        try:
            await gi.import_guide(bad_csv, category_map)
            refused = "NOT refused"
        except CatalogueInvalid as exc:
            rows_named = len({p.code for p in exc.problems})
            refused = f"refused whole, {len(exc.problems)} problems naming {rows_named} rows, e.g. {exc.problems[0]}"
        took = time.perf_counter() - started
        after = await Item.all().count()
        lines.append(f"  a file of {bad_rows} rows, 3 of them bad: {took:.2f} s, {refused}")
        lines.append(f"    items stored before {stored}, after {after} ({'nothing stored' if stored == after else 'CHANGED'})")
        memory.append(await snapshot_figures(f"demo + {rows} imported"))

        if extra_csv is not None:
            extra = len(gi.read_rows(extra_csv))
            started = time.perf_counter()
            summary = await gi.import_guide(extra_csv, category_map)
            took = time.perf_counter() - started
            lines.append(f"  import_guide, {extra} more rows (into {stored} items): {took:.2f} s  {extra / took:.0f} rows/s  "
                         f"(created {summary.created.get('items', 0)})")
            memory.append(await snapshot_figures(f"demo + {rows + extra} imported"))
    finally:
        await close_db()
    return lines, memory


# 3. Search -----------------------------------------------------------------------------------------------------------

def demo_halls(catalogue) -> list[gi.HallRef]:
    return [gi.HallRef(doc.code, doc.name, doc.district, frozenset(c for w in doc.windows for c in w.categories))
            for doc, _ in catalogue.halls.values()]


def evaluate_eval_set(index: SearchIndex, cases: list[tuple[str, str, str]], repeat: int,
                      generated: set[str]) -> dict[str, Any]:
    right, timings, floors, misses = Counter(), [], [], []
    for query, expect, kind in cases:
        for _ in range(repeat):
            codes, took, floor = timed_search(index, query, kind)
            timings.append(took)
            floors.append(floor)
        right[kind] += bool(codes) and codes[0] == expect
        if not codes or codes[0] != expect:
            misses.append((query, expect, codes, bool(codes) and codes[0] in generated))
    return {"right": right, "timings": timings, "floors": floors, "misses": misses}


def _accuracy(right: Counter, n_items: int, n_bundles: int) -> str:
    return (f"items {right['item']}/{n_items} {right['item'] / n_items:.1%}, "
            f"bundles {right['bundle']}/{n_bundles} {right['bundle'] / n_bundles:.1%}")


def search_phase(rows: list[dict[str, str]], category_map: list[tuple[str, str]], repeat: int,
                 sample: int, seed: int, work: Path) -> list[str]:
    catalogue, problems = read_catalogue(KB)
    if problems:
        sys.exit("knowledge/data has problems: run `python -m knowledge.validate`")
    demo_items = [doc.model_dump() for doc, _ in catalogue.items.values()]
    bundles = [SearchEntry.from_bundle(doc.model_dump()) for doc, _ in catalogue.bundles.values()]
    path = write_csv(work / "search_catalogue.csv", rows)
    started = time.perf_counter()
    converted, problems = gi.convert(gi.read_rows(path), path.name, demo_halls(catalogue), category_map)
    convert_s = time.perf_counter() - started
    if problems:
        sys.exit(f"the generated rows do not convert: {problems[:3]}")
    items = [doc.model_dump() for doc, _ in converted.items.values()]

    demo_index = SearchIndex([SearchEntry.from_item(i) for i in demo_items] + bundles)
    entries = [SearchEntry.from_item(i) for i in demo_items + items] + bundles
    gc.collect()
    rss_before = rss_mb()
    search.form_tokens.cache_clear()  # the snapshot figures above tokenized these names already
    tracemalloc.start()
    started = time.perf_counter()
    big_index = SearchIndex(entries)
    build_traced = time.perf_counter() - started
    index_mb = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()
    del big_index
    gc.collect()
    search.form_tokens.cache_clear()
    search.tokens.cache_clear()
    started = time.perf_counter()
    big_index = SearchIndex(entries)
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    big_index = SearchIndex(entries)  # as for a new revision: the unchanged names' tokens are known
    rebuild_s = time.perf_counter() - started
    rss_after = rss_mb()

    data = yaml.safe_load(EVAL.read_text(encoding="utf-8"))
    cases = [(c["q"], c["expect"], "item") for c in data["queries"]] + [(c["q"], c["expect"], "bundle") for c in data["bundles"]]
    generated = {i["code"] for i in items}
    demo = evaluate_eval_set(demo_index, cases, repeat, set())
    big = evaluate_eval_set(big_index, cases, repeat, generated)
    n_items = sum(k == "item" for _, _, k in cases)
    n_bundles = len(cases) - n_items

    picked = random.Random(seed).sample(rows, min(sample, len(rows)))
    group = {}  # (base, action) -> codes of every row of that service and action, whatever its bracketed sub-type
    for row in rows:
        group.setdefault(row["_base"], set()).add(row[gi.CODE])
    full_ok = short_exact = short_group = short_any = 0
    gen_t, gen_f, short_t, short_f = [], [], [], []
    for row in picked:
        codes, took, floor = timed_search(big_index, row[gi.NAME], "item")
        gen_t.append(took)
        gen_f.append(floor)
        full_ok += bool(codes) and codes[0] == row[gi.CODE]
        codes, took, floor = timed_search(big_index, shortened(row), "item")
        short_t.append(took)
        short_f.append(floor)
        short_exact += bool(codes) and codes[0] == row[gi.CODE]
        short_group += bool(codes) and codes[0] in group[row["_base"]]
        short_any += bool(codes)

    total = len(entries) - len(bundles)
    out = [f"  items: {len(demo_items)} demo + {len(items)} generated = {total} (and {len(bundles)} bundles); "
           f"convert+validate {len(rows)} rows {convert_s:.2f} s",
           f"  SearchIndex build: {build_s:.2f} s cold, {rebuild_s:.2f} s again for a new revision ({build_traced:.2f} s "
           f"under tracemalloc); its size {index_mb:.1f} MB traced, "
           f"RSS {rss_before:.0f} -> {rss_after:.0f} MB",
           f"  held-out search_eval.yaml, top-1 ({repeat} cold runs a query):",
           f"    demo catalogue only ({len(demo_items)} items): {_accuracy(demo['right'], n_items, n_bundles)}",
           f"    with the big catalogue ({total} items):  {_accuracy(big['right'], n_items, n_bundles)}  "
           f"(change {(big['right']['item'] - demo['right']['item']) / n_items:+.1%} items)"]
    before = {q for q, *_ in demo["misses"]}
    new_misses = [m for m in big["misses"] if m[0] not in before]
    out.append(f"    misses with the big catalogue: {len(big['misses'])} ({len(new_misses)} new, "
               f"{sum(m[3] for m in big['misses'])} won by a generated item); the new ones:")
    names = {i["code"]: i["name"] for i in demo_items + items}
    for query, expect, codes, _ in new_misses[:12]:
        got = names.get(codes[0], codes[0]) if codes else "nothing"
        out.append(f"      {query!r}: expected {expect} {names.get(expect, '')}, got {got}")
    if len(new_misses) > 12:
        out.append(f"      … {len(new_misses) - 12} more")
    n = len(picked)
    out += [f"  generated items ({n} sampled): full name top-1 {full_ok / n:.1%}; shortened name (e.g. "
            f"{shortened(picked[0])!r} for {picked[0][gi.NAME]!r}) top-1 exact {short_exact / n:.1%}, "
            f"same service+action {short_group / n:.1%}, any hit {short_any / n:.1%}",
            "  latency per query, cold caches (ms):",
            latency_line(f"held-out, demo ({len(demo_items)} items)", demo["timings"], demo["floors"]),
            latency_line(f"held-out, big ({total} items)", big["timings"], big["floors"]),
            latency_line("generated full names, big", gen_t, gen_f),
            latency_line("generated shortened names, big", short_t, short_f),
            latency_line("all queries on the big index", big["timings"] + gen_t + short_t, big["floors"] + gen_f + short_f)]
    return out


# 4. Training ---------------------------------------------------------------------------------------------------------

def train_phase(work: Path, rows: list[dict[str, str]], category_map: list[tuple[str, str]], keep: bool) -> list[str]:
    import logging

    import jieba

    from bot.nlu_generate import generate

    jieba.setLogLevel(logging.WARNING)  # not its "Building prefix dict" lines in the report
    root = work / "project"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(KB, root / "knowledge" / "data")
    catalogue, _ = read_catalogue(KB)
    path = write_csv(work / "train_catalogue.csv", rows)
    converted, problems = gi.convert(gi.read_rows(path), path.name, demo_halls(catalogue), category_map)
    if problems:
        sys.exit(f"the generated rows do not convert: {problems[:3]}")
    docs = [doc.model_dump(mode="json", exclude_none=True) for doc, _ in converted.items.values()]
    items_file = root / "knowledge" / "data" / "items" / "generated.yaml"
    items_file.write_text("# generated by bench/catalogue_bench.py\n"
                          + yaml.safe_dump({"items": docs}, allow_unicode=True, sort_keys=False, width=200), encoding="utf-8")
    _, problems = read_catalogue(root / "knowledge" / "data")
    if problems:
        sys.exit(f"the generated items file is refused by read_catalogue: {problems[:3]}")
    shutil.copytree(ROOT / "intents", root / "intents", ignore=lambda d, names: ["models"] if Path(d) == ROOT / "intents" else [])

    started = time.perf_counter()
    counts = generate(root=root, intents_dir=root / "intents")
    generate_s = time.perf_counter() - started
    kb = yaml.safe_load((root / "intents" / "data" / "generated" / "nlu_kb.yml").read_text(encoding="utf-8"))["nlu"]
    lookup = next(len(e["examples"].splitlines()) for e in kb if "lookup" in e)
    synonyms = sum(1 for e in kb if "synonym" in e)
    userdict = len((root / "intents" / "generated" / "jieba" / "userdict.txt").read_text(encoding="utf-8").splitlines())
    no_form = sum(1 for d in docs if not any(_all_chinese(f) for f in [d["name"], *d.get("aliases", [])]))
    out = [f"  project: {root} ({len(catalogue.items)} demo + {len(docs)} generated items in knowledge/data/items/generated.yaml)",
           f"  bot.nlu_generate: {generate_s:.1f} s; {counts['examples']} examples for {counts['intents']} intents, "
           f"{counts['faq']} FAQ, {counts['items']} items; lookup 'item' {lookup} entries, {synonyms} synonyms, "
           f"jieba userdict {userdict} terms",
           f"    {no_form} generated items have no all-Chinese name or alias (brackets in the name), "
           f"so no lookup entry or entity fill"]
    if not RASA.exists():
        return [*out, f"  rasa train: skipped, no {RASA}"]
    command = [str(RASA), "train", "--config", "config.yml", "--domain", "generated/domain.yml", "--data", "data",
               "--out", "models", "--fixed-model-name", "big", "--quiet"]
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    log = work / "rasa_train.log"
    started = time.perf_counter()
    with log.open("w") as f:
        done = subprocess.run(command, cwd=root / "intents", env=env, stdout=f, stderr=subprocess.STDOUT, check=False)
    took = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    model = root / "intents" / "models" / "big.tar.gz"
    if done.returncode != 0 or not model.exists():
        tail = log.read_text(errors="replace").splitlines()[-15:]
        return [*out, f"  rasa train FAILED (exit {done.returncode}) after {took:.0f} s; log {log}:", *("    " + t for t in tail)]
    out += [f"  rasa train: {took:.0f} s = {took / 60:.1f} min (target <= 10 min on 2 cores at 1,500 items: "
            f"{took / TARGET_TRAIN_S:.2f} of it); model {model.stat().st_size / 2**20:.1f} MB; trainer peak RSS {peak:.0f} MB",
            "  held-out intent accuracy of this model (bench/nlu_bench.py takes no model path: it serves "
            "intents/models/current.tar.gz through the app; scripts/evaluate_model.py takes one):",
            f"    .venv-rasa/bin/python scripts/evaluate_model.py --test bench/data/nlu_test.yml --out {work / 'big_eval.json'} {model}"]
    if not keep:
        out.append("    (this run's directory is removed at exit: run with --keep DIR to keep the model for that)")
    return out


def _all_chinese(text: str) -> bool:
    return bool(text) and all("\u4e00" <= c <= "\u9fff" for c in text)


# ---------------------------------------------------------------------------------------------------------------------

def section(title: str, lines: list[str]) -> None:
    print(f"\n{title}")
    print("\n".join(lines))


def run(args: argparse.Namespace, work: Path) -> None:
    print(f"catalogue bench  {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}  seed {args.seed}")
    print(f"machine: {machine()}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} (other work slows the timings)")
    print(f"process RSS at start: {rss_mb():.0f} MB; work dir {work}")

    catalogue, problems = read_catalogue(KB)
    if problems:
        sys.exit("knowledge/data has problems: run `python -m knowledge.validate`")
    taken = {normalize(t) for doc, _ in catalogue.items.values() for t in [doc.name, *doc.aliases]}
    taken |= {normalize(t) for doc, _ in catalogue.bundles.values() for t in [doc.name, *doc.aliases]}
    search_rows = max(args.search_items - len(catalogue.items), 0)
    started = time.perf_counter()
    rows, skipped = generate_rows(max(args.items + BAD_BATCH, search_rows), args.seed, taken)
    generate_s = time.perf_counter() - started
    category_map = write_category_map(work / "department_categories.yaml")
    import_csv = write_csv(work / "guide_export.csv", rows[: args.items])
    extra_csv = write_csv(work / "guide_export_more.csv", rows[args.items: search_rows]) if search_rows > args.items else None
    # 50 new rows, three of them bad: an unreadable time limit, an unknown department, a repeated code.
    bad = [dict(r) for r in rows[args.items: args.items + BAD_BATCH]]
    bad[3][gi.PROMISED] = "尽快"
    bad[10][gi.DEPARTMENT] = f"{CITY}某某办公室"
    bad[20][gi.CODE] = bad[5][gi.CODE]
    bad_csv = write_csv(work / "guide_export_bad.csv", rows[: args.items] + bad)

    by_category = Counter(gi.category_of(r[gi.DEPARTMENT], r[gi.NAME], category_map) for r in rows[: args.items])
    departments = {r[gi.DEPARTMENT] for r in rows}
    section("1. generated 办事指南 export", [
        f"  {len(rows)} rows in {generate_s:.2f} s ({len(departments)} 实施主体, {len({r['_base'] for r in rows})} "
        f"service+action pairs; {skipped} names left out as the demo's own); import file {import_csv.name}: "
        f"{args.items} rows, {import_csv.stat().st_size / 1024:.0f} KB",
        "  e.g. " + "、".join(r[gi.NAME] for r in rows[:6]),
        f"  code e.g. {rows[0][gi.CODE]} ({len(rows[0][gi.CODE])} chars); 办理地点 e.g. {rows[0][gi.PLACE]}; 咨询电话 {rows[0][gi.PHONE]}",
        "  window categories (import file): " + ", ".join(f"{c} {n}" for c, n in by_category.most_common()),
        f"  department category map for {len(category_map)} keywords: " + ", ".join(f"{k}->{v}" for k, v in category_map),
    ])

    db_lines, memory = asyncio.run(database_phase(work, import_csv, extra_csv, bad_csv, category_map))
    section("2. import (SQLite, all or nothing)", db_lines)

    search_set = rows[:search_rows] if search_rows else []
    section(f"3. search at {len(catalogue.items) + len(search_set)} items (target p95 < {TARGET_P95_MS:.0f} ms at 5,000)",
            search_phase(search_set, category_map, args.repeat, args.sample, args.seed, work) if search_set
            else ["  skipped: --search-items is not above the demo's item count"])

    lines = [f"  {m['label']:<28} {m['items']:>5} items: snapshot load {m['seconds']:.2f} s (event loop held at most "
             f"{m['stall_ms']:.0f} ms), traced size {m['traced_mb']:.1f} MB, process RSS {m['rss_before']:.0f} -> "
             f"{m['rss_after']:.0f} MB" for m in memory]
    lines.append("  (the snapshot is KnowledgeService's: items, bundles, halls, calendar and search index, loaded from the "
                 "database as each app worker holds it; the traced size counts Python allocations only)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines.append(f"  this process at the end: RSS {rss_mb():.0f} MB, peak {peak:.0f} MB")
    section("4. memory", lines)

    if args.train:
        lines = train_phase(work, rows[: args.items], category_map, bool(args.keep))
        section(f"5. training at {len(catalogue.items)} + {args.items} items", lines)
    else:
        print("\n5. training: not run (--train; ~10+ min at 1,500 items)")
    if args.keep:
        print(f"\nfiles kept in {work}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1500, help="rows of the export to import (and train on)")
    parser.add_argument("--search-items", type=int, default=5000, help="items in all (demo + generated) for the search figures")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--train", action="store_true", help="also generate the NLU data and train a Rasa model (slow)")
    parser.add_argument("--keep", type=Path, default=None, help="write the files here and keep them")
    parser.add_argument("--repeat", type=int, default=3, help="cold timed runs per held-out query")
    parser.add_argument("--sample", type=int, default=500, help="generated items queried by name and shortened name")
    args = parser.parse_args()
    if args.items < 1:
        parser.error("--items must be at least 1")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        run(args, args.keep.resolve())
    else:
        with tempfile.TemporaryDirectory(prefix="catalogue_bench_") as tmp:
            run(args, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
