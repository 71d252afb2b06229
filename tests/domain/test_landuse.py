import pytest

from gis_app.domain import landuse
from gis_app.domain.errors import InvalidInput, UnknownVocabularyValue
from gis_app.domain.landuse import (
    CLASSIFICATION_2023,
    GB50137,
    MAPPING_2023_GB50137,
    SANDIAO,
    LandUseCode,
    ancestors,
    descendants,
    expand_query,
    is_valid,
    label,
    lookup,
    to_2023,
    to_gb50137,
)

TABLES = {"2023": CLASSIFICATION_2023, "gb50137": GB50137, "sandiao": SANDIAO}


# --- hierarchy ---------------------------------------------------------------------------------


@pytest.mark.parametrize("system", sorted(TABLES))
def test_entries_are_keyed_by_code_and_system(system):
    for code, entry in TABLES[system].items():
        assert isinstance(entry, LandUseCode)
        assert entry.code == code
        assert entry.system == system
        assert entry.zh and entry.en
        assert code == code.strip()


@pytest.mark.parametrize("system", sorted(TABLES))
def test_every_parent_exists_and_level_is_parent_level_plus_one(system):
    table = TABLES[system]
    for entry in table.values():
        if entry.parent is None:
            assert entry.level == 1, entry
        else:
            assert entry.parent in table, entry
            assert entry.level == table[entry.parent].level + 1, entry


@pytest.mark.parametrize("system", sorted(TABLES))
def test_names_are_unique_among_siblings(system):
    seen: set[tuple[str | None, str]] = set()
    for entry in TABLES[system].values():
        key = (entry.parent, entry.zh)
        assert key not in seen, entry
        seen.add(key)


def test_2023_codes_are_digit_strings_with_consistent_prefixes():
    for code, entry in CLASSIFICATION_2023.items():
        assert code.isascii() and code.isdigit(), code
        assert len(code) == 2 * entry.level, code
        if entry.parent is not None:
            assert code.startswith(entry.parent), code
            assert len(code) == len(entry.parent) + 2


def test_2023_holds_all_first_and_second_level_classes():
    first = [c for c, e in CLASSIFICATION_2023.items() if e.level == 1]
    assert first == [f"{i:02d}" for i in range(1, 25)]
    second = [c for c, e in CLASSIFICATION_2023.items() if e.level == 2]
    assert len(second) == 111
    assert len(set(second)) == len(second)
    # second-level codes are numbered from 01 without gaps under each first-level class
    for parent in first:
        kids = sorted(c for c in second if c[:2] == parent)
        assert kids == [f"{parent}{i:02d}" for i in range(1, len(kids) + 1)], parent
    # 16 留白用地 and 24 其他海域 have no subclasses
    assert not [c for c in second if c[:2] in {"16", "24"}]


@pytest.mark.parametrize(
    ("code", "zh"),
    [
        ("01", "耕地"),
        ("24", "其他海域"),
        ("1001", "工业用地"),
        ("100101", "一类工业用地"),
        ("100102", "二类工业用地"),
        ("100103", "三类工业用地"),
        ("1101", "物流仓储用地"),
        ("110101", "一类物流仓储用地"),
        ("1204", "港口码头用地"),
        ("070101", "一类城镇住宅用地"),
        ("070103", "三类城镇住宅用地"),
        ("0703", "农村宅基地"),
        ("070302", "二类农村宅基地"),
        ("090101", "零售商业用地"),
        ("090105", "公用设施营业网点用地"),
        ("120801", "对外交通场站用地"),
        ("120803", "社会停车场用地"),
        ("1312", "其他公用设施用地"),
        ("2302", "后备耕地"),
    ],
)
def test_2023_known_names(code, zh):
    assert CLASSIFICATION_2023[code].zh == zh


def test_2023_third_level_classes():
    third = {c for c, e in CLASSIFICATION_2023.items() if e.level == 3}
    assert descendants("2023", "0701") == {"0701", "070101", "070102", "070103"}
    assert descendants("2023", "0901") - {"0901"} == {f"09010{i}" for i in range(1, 6)}
    assert descendants("2023", "1001") - {"1001"} == {"100101", "100102", "100103"}
    assert descendants("2023", "1101") - {"1101"} == {"110101", "110102", "110103"}
    assert descendants("2023", "1208") - {"1208"} == {"120801", "120802", "120803"}
    assert len(third) == 40


def test_gb50137_codes_and_prefixes():
    majors = [c for c, e in GB50137.items() if e.level == 1]
    assert majors == list("RABMWSUGHE")
    for code, entry in GB50137.items():
        assert code[0] in "RABMWSUGHE" and (len(code) == 1 or code[1:].isdigit()), code
        assert len(code) == entry.level, code
        if entry.parent is not None:
            assert code.startswith(entry.parent)
    mids = {c for c, e in GB50137.items() if e.level == 2}
    expected_mids = (
        {"R1", "R2", "R3"}
        | {f"A{i}" for i in range(1, 10)}
        | {"B1", "B2", "B3", "B4", "B9"}
        | {"M1", "M2", "M3", "W1", "W2", "W3"}
        | {"S1", "S2", "S3", "S4", "S9"}
        | {"U1", "U2", "U3", "U9", "G1", "G2", "G3"}
        | {"H1", "H2", "H3", "H4", "H5", "H9", "E1", "E2", "E9"}
    )
    assert mids == expected_mids
    assert {"R11", "R12", "B11", "B14", "B21", "B22", "B29", "H23"} <= set(GB50137)
    assert GB50137["H23"].zh == "港口用地"


def test_sandiao_codes_and_prefixes():
    first = [c for c, e in SANDIAO.items() if e.level == 1]
    assert first == ["00"] + [f"{i:02d}" for i in range(1, 13)]
    for code, entry in SANDIAO.items():
        assert len(code) == {1: 2, 2: 4, 3: 5}[entry.level], code
        if entry.parent is None:
            continue
        if entry.parent == "00":
            # 三调 groups wetland classes under 00 but keeps their GB/T 21010 codes
            assert code[:2] in SANDIAO and code[:2] != "00", code
        else:
            assert code.startswith(entry.parent), code
    assert SANDIAO["0601"].zh == "工业用地"
    assert SANDIAO["0602"].zh == "采矿用地"
    assert SANDIAO["0508"].zh == "物流仓储用地"
    assert SANDIAO["1001"].zh == "铁路用地"
    assert SANDIAO["0101"].zh == "水田"
    assert SANDIAO["1104A"].parent == "1104"
    assert SANDIAO["0303"].parent == "00"
    assert "0303" not in descendants("sandiao", "03")
    assert descendants("sandiao", "09") == {"09"}


def test_codes_keep_leading_zeros_and_are_not_duplicated():
    assert "0101" in CLASSIFICATION_2023 and "101" not in CLASSIFICATION_2023
    assert "0101" in SANDIAO
    for table in TABLES.values():
        assert len({e.code for e in table.values()}) == len(table)


# --- mapping -----------------------------------------------------------------------------------


def test_every_mapping_pair_refers_to_existing_codes():
    for code_2023, code_gb in MAPPING_2023_GB50137:
        assert code_2023 in CLASSIFICATION_2023, code_2023
        assert code_gb in GB50137, code_gb


def test_mapping_has_no_duplicate_pairs():
    assert len(set(MAPPING_2023_GB50137)) == len(MAPPING_2023_GB50137)


@pytest.mark.parametrize(
    ("code_2023", "code_gb"),
    [
        ("1001", "M"),
        ("100101", "M1"),
        ("100102", "M2"),
        ("100103", "M3"),
        ("1101", "W"),
        ("110101", "W1"),
        ("110102", "W2"),
        ("110103", "W3"),
        ("070101", "R1"),
        ("070102", "R2"),
        ("070103", "R3"),
        ("0901", "B1"),
        ("0902", "B2"),
    ],
)
def test_round_trips(code_2023, code_gb):
    assert to_gb50137(code_2023)[0] == code_gb
    assert to_2023(code_gb)[0] == code_2023


def test_to_gb50137_walks_up_when_the_code_is_not_mapped():
    assert to_gb50137("0703") == ("R",)  # 农村宅基地 → 07 居住用地
    assert to_gb50137("080602") == ("A5",)
    assert to_gb50137("1204") == ("H23",)
    assert to_gb50137("1802") == ()  # sea use has no GB 50137 class
    assert to_gb50137("16") == ()


def test_to_2023_most_specific_first_and_walks_up():
    assert to_2023("W") == ("1101", "1102", "11")
    assert to_2023("R11") == ("070101",)
    assert to_2023("H23") == ("1204",)
    assert to_2023("B32") == ("09",)


# --- expand_query ------------------------------------------------------------------------------


def test_expand_query_major_legacy_class():
    assert expand_query("M") == (
        frozenset({"1001", "100101", "100102", "100103"}),
        frozenset({"M", "M1", "M2", "M3"}),
    )


def test_expand_query_2023_second_level():
    assert expand_query("1001") == (
        frozenset({"1001", "100101", "100102", "100103"}),
        frozenset({"M", "M1", "M2", "M3"}),
    )


def test_expand_query_2023_third_level():
    assert expand_query("100102") == (frozenset({"100102"}), frozenset({"M2"}))


def test_expand_query_warehouse_and_residential():
    w_2023, w_gb = expand_query("1101")
    assert w_2023 == {"1101", "110101", "110102", "110103"}
    assert w_gb == {"W", "W1", "W2", "W3"}
    assert expand_query("W2") == (frozenset({"110102"}), frozenset({"W2"}))
    r_2023, r_gb = expand_query("R2")
    assert r_2023 == {"070102", "0702"}
    assert r_gb == {"R2", "R21", "R22"}


def test_expand_query_uses_ancestor_mapping_when_nothing_below_is_mapped():
    assert expand_query("R11") == (frozenset({"070101"}), frozenset({"R11"}))


def test_expand_query_normalises_input():
    assert expand_query(" m1 ") == expand_query("M1")


def test_expand_query_unmapped_code_matches_only_its_own_system():
    assert expand_query("16") == (frozenset({"16"}), frozenset())


@pytest.mark.parametrize("code", ["999999", "X1", "M7", "", "工业"])
def test_expand_query_unknown_code(code):
    with pytest.raises(UnknownVocabularyValue) as err:
        expand_query(code)
    assert repr(code) in str(err.value)


def test_expand_query_unknown_code_reports_normalised_code():
    with pytest.raises(UnknownVocabularyValue, match="'X1'"):
        expand_query(" x1 ")


# --- lookup, labels, errors ---------------------------------------------------------------------


def test_lookup_and_labels():
    entry = lookup("2023", "100101")
    assert entry.parent == "1001" and entry.level == 3
    assert entry.label() == "一类工业用地"
    assert entry.label("en") == "Class-1 industrial land"
    assert label("gb50137", "M1") == "一类工业用地"
    assert label("sandiao", "0601", "en") == "Industrial land"
    assert label("2023", None) == ""


def test_ancestors_and_descendants():
    assert ancestors("2023", "100102") == ("10", "1001", "100102")
    assert ancestors("gb50137", "R11") == ("R", "R1", "R11")
    assert ancestors("sandiao", "1105") == ("00", "1105")
    assert descendants("gb50137", "M") == {"M", "M1", "M2", "M3"}
    assert descendants("2023", "100101") == {"100101"}


@pytest.mark.parametrize(
    ("system", "code", "vocabulary"),
    [
        ("2023", "100104", "planned_use (2023)"),
        ("2023", "101", "planned_use (2023)"),
        ("gb50137", "M4", "planned_use (GB 50137)"),
        ("sandiao", "0508K", "current_use (sandiao)"),
    ],
)
def test_unknown_code_raises_with_code_in_message(system, code, vocabulary):
    with pytest.raises(UnknownVocabularyValue) as err:
        lookup(system, code)
    assert err.value.vocabulary == vocabulary
    assert err.value.value == code
    assert repr(code) in str(err.value)
    assert isinstance(err.value, InvalidInput)
    for func in (descendants, ancestors):
        with pytest.raises(UnknownVocabularyValue):
            func(system, code)
    with pytest.raises(UnknownVocabularyValue, match=code):
        label(system, code)


def test_unknown_code_error_lists_nearby_codes():
    with pytest.raises(UnknownVocabularyValue) as err:
        lookup("2023", "100104")
    allowed = str(err.value).split("allowed: ")[1].split(", ")
    assert "100101" in allowed
    assert "0101" not in allowed
    assert all(code.startswith("10") for code in allowed)


def test_unknown_translation_inputs():
    with pytest.raises(UnknownVocabularyValue, match="100104"):
        to_gb50137("100104")
    with pytest.raises(UnknownVocabularyValue, match="M9"):
        to_2023("M9")


def test_unknown_system():
    with pytest.raises(UnknownVocabularyValue, match="land_use_system"):
        lookup("gb21010", "0101")
    with pytest.raises(UnknownVocabularyValue):
        is_valid("gb21010", "0101")


def test_is_valid():
    assert is_valid("2023", "1204")
    assert is_valid("gb50137", "H23")
    assert is_valid("sandiao", "05H1")
    assert not is_valid("2023", "1204 ")
    assert not is_valid("gb50137", "h23")
    assert not is_valid("2023", None)  # type: ignore[arg-type]


def test_public_api_names():
    public = {name for name in vars(landuse) if not name.startswith("_")}
    expected = {
        "LandUseCode",
        "CLASSIFICATION_2023",
        "GB50137",
        "SANDIAO",
        "MAPPING_2023_GB50137",
        "lookup",
        "is_valid",
        "descendants",
        "ancestors",
        "expand_query",
        "to_gb50137",
        "to_2023",
        "legacy_codes_implied",
        "label",
        "SANDIAO_GROUP_PREFIXES",
        "sandiao_group",
    }
    assert expected <= public
    # everything else public is an import, not a new helper
    assert public - expected <= {
        "annotations",
        "Callable",
        "Iterable",
        "dataclass",
        "lru_cache",
        "UnknownVocabularyValue",
    }
