from shop.translations import AREAS, ROOT, untranslated


def test_every_string_of_every_area_has_a_chinese_translation():
    missing = {area: untranslated(area) for area in AREAS if (ROOT / area).is_dir()}
    assert {a: m for a, m in missing.items() if m} == {}, "run `make messages` and translate the new strings"


def test_a_string_means_the_same_in_every_area():
    """Flask-Babel merges the areas' catalogues: one msgid must have one translation."""
    from shop.translations import read

    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for area in AREAS:
        if not (ROOT / area).is_dir():
            continue
        for message in read(area):
            if not message.id or not message.string or not isinstance(message.id, str):
                continue
            if message.id in seen and seen[message.id][1] != message.string:
                clashes.append(
                    f"{message.id!r}: {seen[message.id][0]} {seen[message.id][1]!r}, {area} {message.string!r}"
                )
            seen.setdefault(message.id, (area, message.string))
    assert clashes == []
