"""The edge of the guide (bot/grounding.py): an item is answered only when the question is about it; a
service the guide lacks is "not covered", one that only resembles an item is a near miss; life events
are 一件事 bundles; the 一次性告知 questions are read from the words; a complaint's category and place."""
from __future__ import annotations

import pytest

from bot import replies
from bot.complaint_text import category_of, is_suggestion, says_what_happened, where_in_text
from bot.grounding import about, service_phrases
from bot.understanding import question_asked, unstated_topic
from knowledge.service import KnowledgeService, bundle_view


@pytest.fixture
async def snap(seeded_db):
    return await KnowledgeService().snapshot()


@pytest.mark.parametrize("text, phrase", [
    ("行驶证补领需要什么材料", "行驶证补领"), ("失业补助金怎么领", "失业补助金"), ("退役军人优待证在哪领", "退役军人优待证"),
    ("疫苗本丢了去哪补", "疫苗本"), ("开无犯罪记录证明要什么材料", "无犯罪记录证明"), ("办身份证要带户口本吗", "身份证"),
])
def test_the_service_a_question_names_is_read_in_the_citizens_words(text, phrase):
    assert service_phrases(text)[0] == phrase


def test_question_words_and_bare_document_words_name_no_service():
    assert service_phrases("老婆户口想迁到我这边来 需要准备什么") == ()
    assert service_phrases("要带什么证件") == ()


@pytest.mark.parametrize("text, phrase", [
    ("行驶证丢了怎么补办", "行驶证"), ("进京证怎么办", "进京证"), ("养狗要办狗证吗", "狗证"), ("疫苗本丢了去哪补", "疫苗本"),
    ("退役军人优待证在哪领", "退役军人优待证"), ("犬只登记要什么材料", "犬只登记"), ("车牌指标怎么申请", "车牌指标"),
    ("门诊预约在哪里可以办", "门诊预约"), ("赠与公证在哪里可以办", "赠与公证"), ("职业病诊断鉴定需要带哪些材料", "职业病诊断鉴定"),
])
async def test_a_service_the_guide_lacks_is_not_covered_not_answered_with_a_neighbour(snap, text, phrase):
    found = about(snap, [], text)
    assert (found.kind, found.phrase) == ("not_covered", phrase)


@pytest.mark.parametrize("text, phrase", [("营业执照怎么注销", "营业执照注销"), ("个体户怎么注销", "个体户注销"),
                                          ("营业执照转让要什么手续", "营业执照转让")])
async def test_an_item_that_does_something_else_than_asked_is_not_the_answer(snap, text, phrase):
    # The search's nearest items (营业执照变更登记, 个体工商户设立登记) do another thing to the same licence.
    found = about(snap, [], text)
    assert (found.kind, found.phrase) == ("not_covered", phrase)


@pytest.mark.parametrize("text, code", [("失业补助金怎么领", "RS-004"), ("生育补贴怎么申请", "YB-002")])
async def test_a_service_that_only_resembles_an_item_is_a_near_miss(snap, text, code):
    found = about(snap, [], text)
    assert (found.kind, found.code) == ("near_miss", code)


@pytest.mark.parametrize("text, code", [
    ("身分证掉了 补办需要带什么", "GA-001"), ("办身份证要带户口本吗", "GA-001"), ("老婆户口想迁到我这边来 需要准备什么", "GA-003"),
    ("passport过期了 换发要啥材料", "CRJ-001"), ("营业执造变更", "SC-003"), ("新生儿上户口要什么", "GA-004"),
    ("公积金贷款利率是多少", "GJJ-002"), ("退休", "RS-005"), ("公司怎么注销", "SC-004"), ("户口迁出怎么办", "GA-003"),
    ("护照新办要什么", "CRJ-001"), ("公司变更法人", "SC-003"),
])
async def test_questions_about_catalogue_items_are_still_answered(snap, text, code):
    found = about(snap, [], text)
    assert (found.kind, found.code) == ("item", code)


@pytest.mark.parametrize("text, code", [
    ("宝宝出生后要办哪些证", "YJS-XSE"), ("生了孩子要办什么", "YJS-XSE"), ("开公司要办哪些手续", "YJS-KBQY"),
    ("退休要办哪些手续", "YJS-TX"), ("买二手房", "YJS-ESF"),
])
async def test_a_life_event_is_its_bundle(snap, text, code):
    found = about(snap, [], text)
    assert (found.kind, found.code) == ("bundle", code)


async def test_an_exact_name_prefix_ranks_above_another_items_partial_alias(snap):
    assert snap.index.search("退休", kind="item")[0].code == "RS-005"


async def test_a_bundle_answer_lists_its_items_one_merged_materials_list_and_the_one_window(snap):
    view = bundle_view(snap, "YJS-XSE")
    messages = replies.bundle_overview(view)
    assert "包括4个事项" in messages[0] and "出生医学证明" in messages[0]
    assert "同一材料只交一次" in messages[1]
    assert "一件事" in messages[-1]
    follow_up = replies.bundle_answer(view, [snap.items[i["code"]] for i in view["items"]], "time_limit")[0]
    assert "各事项的承诺时限" in follow_up and follow_up.count("· ") == 4


@pytest.mark.parametrize("text, kind", [
    ("可以网上办吗", "online"), ("手机上怎么办", "online"), ("能代办吗", "proxy"), ("我妈能帮我去办吗", "proxy"),
    ("必须本人去吗", "proxy"), ("要跑几次", "visits"), ("材料不全能先受理吗", "rongque"), ("办理条件是什么", "conditions"),
    ("公积金贷款利率是多少", "unstated"), ("退休年龄是多少", "unstated"), ("分哪几种情况", "situations"),
    ("护照要多久", "time_limit"), ("多少钱", "fee"), ("在哪办", "location"), ("要带什么材料", "materials"),
])
def test_each_one_time_notice_question_is_read_from_the_words(text, kind):
    assert question_asked(text) == kind


async def test_each_one_time_notice_question_is_answered_from_its_own_field(snap):
    passport, certificate = snap.items["CRJ-001"], snap.items["GA-006"]
    assert "可以网上办理" in replies.online_message(certificate) or "暂不能网上办理" in replies.online_message(certificate)
    assert "不能代办" in replies.proxy_message(passport) and "可以委托他人代办" in replies.proxy_message(certificate)
    assert "最多跑一次" in replies.visits_message(passport) or "现场" in replies.visits_message(passport)
    assert "受理条件" in replies.conditions_message(passport)
    rongque = [i for i in snap.items.values() if any(m.get("rongque") for s in i["situations"] for m in s["materials"])]
    assert rongque and "可以容缺受理" in replies.rongque_message(rongque[0])


async def test_a_question_the_guide_has_no_field_for_is_said_so_never_a_neighbouring_field(snap):
    loan = snap.items["GJJ-002"]
    text = replies.unstated_message(loan, unstated_topic("公积金贷款利率是多少"))
    assert "办事指南里没有写【住房公积金贷款】的贷款利率" in text and "12345" in text
    assert "不收费" not in text and "工作日" not in text


@pytest.mark.parametrize("text, category", [
    ("窗口工作人员上班玩手机，叫了好几遍都不理人", "服务态度"), ("排队等了三个小时还没轮到", "办事效率"),
    ("叫号机坏了一上午没人修", "系统故障"), ("楼下群租房每天半夜吵闹，影响休息", "其他"),
])
def test_a_complaints_category_comes_from_its_words(text, category):
    assert category_of(text) == category


def test_the_wish_to_complain_alone_does_not_say_what_happened():
    assert not says_what_happened("我要投诉")
    assert not says_what_happened("投诉一下你们")
    assert says_what_happened("窗口态度太差了")
    assert is_suggestion("建议大厅增加几个停车位") and not is_suggestion("停车位太少了")


async def test_a_complaint_names_its_hall_and_window(snap):
    assert where_in_text(snap, "东湖区政务服务中心3号窗口的人态度很差") == ("DHQ", "3")
    assert where_in_text(snap, "3号窗口的人态度很差") == (None, None)  # a window only with its hall
