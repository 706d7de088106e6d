"""FAQ curation: the FAQ in the database with an audit trail, the conflict check, the deterministic
export that `rasa data validate` accepts, and the inbox of unanswered questions."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import yaml

from bot import faq
from bot.nlu_generate import generate
from miniprogram_api.models.faq import FaqIntent, UnansweredQuestion
from tests.api_helpers import expect_error, staff_headers

ROOT = Path(__file__).resolve().parent.parent
NEW = {"key": "lost_property", "title": "失物招领", "answer": "在大厅遗失物品请到1楼导办台登记或拨打{SMZX.phone}。",
       "examples": ["在大厅丢了东西怎么办", "我的钱包落在大厅了", "失物招领在哪里", "捡到东西交给谁", "手机忘在窗口了能找回吗"]}


async def test_seeded_from_the_committed_file_and_edits_are_audited(api):
    assert await faq.seed() == len(yaml.safe_load(faq.FAQ_FILE.read_text(encoding="utf-8"))["faq"])
    assert await faq.seed() == 0  # only into an empty table
    curator = await staff_headers("curator", "馆员甲")
    await expect_error(await api.get("/admin/curation/faq", headers=await staff_headers("agent")), 403, "forbidden")
    listed = await (await api.get("/admin/curation/faq", params={"q": "停车"}, headers=curator)).json()
    assert [f["key"] for f in listed["faq"]] == ["parking"]
    created = await api.post("/admin/curation/faq", headers=curator, json=NEW)
    assert created.status == 201, await created.text()
    changed = await api.patch("/admin/curation/faq/lost_property", headers=curator, json={"title": "遗失物品"})
    assert (await changed.json())["title"] == "遗失物品"
    await api.patch("/admin/curation/faq/lost_property", headers=curator, json={"enabled": False})
    history = (await (await api.get("/admin/curation/faq/lost_property/history", headers=curator)).json())["history"]
    assert [h["action"] for h in history] == ["create", "update", "disable"]
    assert history[1]["before"]["title"] == "失物招领" and history[1]["after"]["title"] == "遗失物品"
    assert all(h["staff"] == "馆员甲" for h in history)
    assert (await api.delete("/admin/curation/faq/lost_property", headers=curator)).status == 200
    await expect_error(await api.get("/admin/curation/faq/lost_property", headers=curator), 404, "faq_not_found")


async def test_an_example_like_another_intents_is_refused_with_the_clashes(api):
    await faq.seed()
    curator = await staff_headers("curator")
    clash = {**NEW, "examples": NEW["examples"][:4] + ["大厅几点上班", "取消预约"]}
    body = await expect_error(await api.post("/admin/curation/faq", headers=curator, json=clash), 409, "example_conflict")
    others = {c["other_intent"] for c in body["error"]["fields"]["clashes"]}
    assert others == {"faq/opening_hours", "cancel_appointment"}
    assert not await FaqIntent.exists(key="lost_property")  # nothing stored
    await expect_error(await api.post("/admin/curation/faq", headers=curator, json={**NEW, "examples": NEW["examples"][:3]}),
                       400, "invalid_body")


async def test_export_is_deterministic_and_rasa_accepts_it(api, tmp_path):
    await faq.seed()
    await faq.create(NEW, "test")
    project = tmp_path / "project"
    shutil.copytree(ROOT / "intents", project / "intents",
                    ignore=shutil.ignore_patterns("models", ".rasa", "generated"))
    shutil.copytree(ROOT / "knowledge" / "data", project / "knowledge" / "data")
    target = project / "intents" / "templates" / "faq.yml"
    first = await faq.export(target)
    data = target.read_bytes()
    again = await faq.export(target)
    assert first["changed"] is True and again["changed"] is False and target.read_bytes() == data
    assert "lost_property:" in data.decode()
    generate(project)
    result = subprocess.run([str(ROOT / ".venv-rasa" / "bin" / "rasa"), "data", "validate", "--config", "config.yml",
                             "--domain", "generated/domain.yml", "--data", "data"], cwd=project / "intents",
                            capture_output=True, text=True, timeout=600, env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"})
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert "utter_faq/lost_property" in (project / "intents" / "generated" / "domain.yml").read_text(encoding="utf-8")


async def test_the_committed_faq_file_is_what_the_export_writes():
    # The file in git is the export of its own content: curators' exports make reviewable diffs only.
    entries = yaml.safe_load(faq.FAQ_FILE.read_text(encoding="utf-8"))["faq"]
    rows = [FaqIntent(key=k, title=e["title"], examples=e["examples"], answer=e["answer"],
                      related_items=e.get("related_items", []), enabled=True) for k, e in entries.items()]
    assert faq.render(rows) == faq.FAQ_FILE.read_text(encoding="utf-8")


async def test_the_inbox_groups_similar_questions_and_handled_ones_leave(api):
    await faq.seed()
    for text in ("大厅能不能带宠物进去", "大厅可以带宠物进去吗", "大厅里可以带宠物吗", "公积金能不能买基金", "/nlu_fallback"):
        await faq.record_unanswered(text, "nlu_fallback", 0.2)
    curator = await staff_headers("curator")
    groups = (await (await api.get("/admin/curation/inbox", headers=curator)).json())["groups"]
    assert groups[0]["count"] == 3 and "宠物" in groups[0]["text"]
    assert [g["count"] for g in groups] == [3, 1]
    new = {"key": "pets", "title": "宠物", "answer": "除导盲犬外，宠物不能进入大厅。",
           "examples": ["宠物能进大厅吗", "带猫可以进去吗", "导盲犬能进吗"]}
    resp = await api.post("/admin/curation/inbox/handle", headers=curator,
                          json={"ids": groups[0]["ids"], "action": "new_faq", "new": new})
    assert resp.status == 200, await resp.text()
    assert len((await FaqIntent.get(key="pets")).examples) == 6
    left = (await (await api.get("/admin/curation/inbox", headers=curator)).json())["groups"]
    assert [g["text"] for g in left] == ["公积金能不能买基金"]
    await api.post("/admin/curation/inbox/handle", headers=curator, json={"ids": left[0]["ids"], "action": "dismiss"})
    assert not await UnansweredQuestion.filter(handled=False).exists()
