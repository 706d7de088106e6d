"""Identity-card and phone numbers never reach the logs whole."""
from miniprogram_api.logging import _mask_processor, mask_sensitive


def test_id_and_phone_numbers_are_masked():
    text = "申请人110101199003071234 电话13812345678 件号YX20261123000123"
    masked = mask_sensitive(text)
    assert "110101********1234" in masked and "138****5678" in masked
    assert "199003071234" not in masked and "12345678" not in masked.replace("YX20261123000123", "")
    assert "YX20261123000123" in masked  # application numbers are not personal data


def test_every_logged_string_goes_through_the_mask():
    event = _mask_processor(None, "info", {"event": "x", "phone": "13900001111", "n": 3})
    assert event["phone"] == "139****1111" and event["n"] == 3
