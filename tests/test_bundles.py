"""一件事: one merged materials list."""
from knowledge.bundles import merge_materials


def item(code, *materials):
    return {"code": code, "situations": [{"key": "default", "name": "默认", "materials": list(materials)}]}


def m(name, form="原件", copies=1, required=True, rongque=False, exempt=False, notes=None):
    return {"name": name, "form": form, "copies": copies, "required": required, "rongque": rongque, "exempt": exempt, "notes": notes}


def test_shared_material_is_listed_once_with_the_strongest_demand():
    merged = merge_materials([
        (item("A", m("身份证", "原件", 1), m("申请表", rongque=True)), None),
        (item("B", m("身份證", "复印件", 2, notes="正反面"), m("申请表", rongque=False, required=False)), None),
    ])
    by_name = {x["name"]: x for x in merged}
    assert set(by_name) == {"身份证", "申请表"}  # 身份證 is the same material
    assert by_name["身份证"]["form"] == "原件及复印件" and by_name["身份证"]["copies"] == 2
    assert by_name["身份证"]["used_by"] == ["A", "B"] and by_name["身份证"]["notes"] == "正反面"
    assert by_name["申请表"]["required"] is True and by_name["申请表"]["rongque"] is False


def test_exempt_only_when_every_item_fetches_it_itself():
    merged = merge_materials([(item("A", m("户口簿", exempt=True)), None), (item("B", m("户口簿")), None)])
    assert merged[0]["exempt"] is False
