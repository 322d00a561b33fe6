from shop.catalogs import AREAS, ROOT, untranslated


def test_every_string_of_every_area_has_a_chinese_translation():
    missing = {area: untranslated(area) for area in AREAS if (ROOT / area).is_dir()}
    assert {a: m for a, m in missing.items() if m} == {}, "run `make messages` and translate the new strings"
