"""Requirements written with plain SQL must carry their expanded land-use sets.

The matcher, the reverse match and the alerts read ``land_use_2023_codes`` and
``land_use_gb_codes``: the stated ``land_use_codes`` (or the industry's classes) expanded down the
hierarchy and across both classifications, which the app, the API and ``gis-app`` compute when
they save a requirement. A requirement inserted or edited in psql or QGIS without them had no
land-use constraint at all: it matched every site and raised alerts for all of them. Now:

* existing rows whose sets do not hold their stated codes (or are empty although the industry
  gives classes) are expanded here, once, in Python, as ``gis_app.matching.spec.parse_spec``
  and ``RequirementSpec.land_use_sets`` did (the vocabularies frozen below, issue 19);
* a trigger refuses a write that leaves them so, naming the requirement, the codes and the way
  out (save it through the app, or fill both columns). A write that touches neither the codes,
  the industry nor the sets (a status change) is never refused.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECK = """
CREATE FUNCTION gis_app_requirement_land_use_check() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    missing text[];
BEGIN
    IF TG_OP = 'UPDATE'
       AND NEW.land_use_codes IS NOT DISTINCT FROM OLD.land_use_codes
       AND NEW.industry IS NOT DISTINCT FROM OLD.industry
       AND NEW.land_use_2023_codes IS NOT DISTINCT FROM OLD.land_use_2023_codes
       AND NEW.land_use_gb_codes IS NOT DISTINCT FROM OLD.land_use_gb_codes THEN
        RETURN NEW;
    END IF;
    -- every stated code is in its own expansion (2023 codes in the first set, GB 50137 in the
    -- second), so a stated code missing from both means the sets were not computed
    SELECT array_agg(c ORDER BY c) INTO missing
      FROM unnest(NEW.land_use_codes) c
     WHERE NOT (c = ANY(COALESCE(NEW.land_use_2023_codes, '{}'))
                OR c = ANY(COALESCE(NEW.land_use_gb_codes, '{}')));
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'requirement "%" (#%): land_use_codes % are not in land_use_2023_codes / land_use_gb_codes',
            NEW.project_name, NEW.id, missing
            USING ERRCODE = 'check_violation',
                  HINT = 'save the requirement through the app, the API or gis-app, which expand '
                         'the codes down the hierarchy and across both classifications; '
                         'or fill land_use_2023_codes and land_use_gb_codes yourself';
    END IF;
    IF cardinality(COALESCE(NEW.land_use_codes, '{}')) = 0 AND NEW.industry IS NOT NULL
       AND cardinality(COALESCE(NEW.land_use_2023_codes, '{}'))
           + cardinality(COALESCE(NEW.land_use_gb_codes, '{}')) = 0 THEN
        RAISE EXCEPTION 'requirement "%" (#%): industry % gives the land uses, but land_use_2023_codes and land_use_gb_codes are empty',
            NEW.project_name, NEW.id, NEW.industry
            USING ERRCODE = 'check_violation',
                  HINT = 'save the requirement through the app, the API or gis-app, which derive '
                         'the land uses from the GB/T 4754 industry';
    END IF;
    RETURN NEW;
END $fn$;

CREATE TRIGGER requirement_land_use_check
    BEFORE INSERT OR UPDATE ON requirement
    FOR EACH ROW EXECUTE FUNCTION gis_app_requirement_land_use_check();
"""

DROP = """
DROP TRIGGER IF EXISTS requirement_land_use_check ON requirement;
DROP FUNCTION IF EXISTS gis_app_requirement_land_use_check();
"""


# fmt: off
#: the requirement needs (vocab.NEED)
NEEDS = frozenset(('land', 'plant', 'building', 'island', 'shoreline'))

#: every 2023 and GB 50137 code → the 2023 codes and the GB 50137 codes (space-separated) that a
#: site may carry to match it: landuse.expand_query(code)
LAND_USE_SETS: dict[str, tuple[str, str]] = {
    "01": ("01 0101 0102 0103", "E2"),
    "0101": ("0101", "E2"),
    "0102": ("0102", "E2"),
    "0103": ("0103", "E2"),
    "02": ("02 0201 0202 0203 0204 0205", "E2"),
    "0201": ("0201", "E2"),
    "0202": ("0202", "E2"),
    "0203": ("0203", "E2"),
    "0204": ("0204", "E2"),
    "0205": ("0205", "E2"),
    "03": ("03 0301 0302 0303 0304", "E2"),
    "0301": ("0301", "E2"),
    "0302": ("0302", "E2"),
    "0303": ("0303", "E2"),
    "0304": ("0304", "E2"),
    "04": ("04 0401 0402 0403", "E2"),
    "0401": ("0401", "E2"),
    "0402": ("0402", "E2"),
    "0403": ("0403", "E2"),
    "05": ("05 0501 0502 0503 0504 0505 0506 0507", "E11 E2 E9"),
    "0501": ("0501", "E9"),
    "0502": ("0502", "E9"),
    "0503": ("0503", "E9"),
    "0504": ("0504", "E9"),
    "0505": ("0505", "E11"),
    "0506": ("0506", "E11"),
    "0507": ("0507", "E2"),
    "06": ("06 0601 060101 060102 0602 060201 060202 060203", "E2"),
    "0601": ("0601 060101 060102", "E2"),
    "060101": ("060101", "E2"),
    "060102": ("060102", "E2"),
    "0602": ("0602 060201 060202 060203", "E2"),
    "060201": ("060201", "E2"),
    "060202": ("060202", "E2"),
    "060203": ("060203", "E2"),
    "07": ("07 0701 070101 070102 070103 0702 0703 070301 070302 0704", "R R1 R11 R12 R2 R21 R22 R3 R31 R32"),
    "0701": ("0701 070101 070102 070103", "R1 R11 R12 R2 R21 R22 R3 R31 R32"),
    "070101": ("070101", "R1 R11 R12"),
    "070102": ("070102", "R2 R21 R22"),
    "070103": ("070103", "R3 R31 R32"),
    "0702": ("0702", "R12 R22 R32"),
    "0703": ("0703 070301 070302", "R R1 R11 R12 R2 R21 R22 R3 R31 R32"),
    "070301": ("070301", "R R1 R11 R12 R2 R21 R22 R3 R31 R32"),
    "070302": ("070302", "R R1 R11 R12 R2 R21 R22 R3 R31 R32"),
    "0704": ("0704", "R R1 R11 R12 R2 R21 R22 R3 R31 R32"),
    "08": ("08 0801 0802 0803 080301 080302 0804 080401 080402 080403 080404 080405 0805 080501 080502 0806 080601 080602 080603 0807 080701 080702 080703 080704", "A A1 A2 A21 A22 A3 A31 A32 A33 A34 A35 A4 A41 A42 A5 A51 A52 A53 A59 A6 A7 A8 A9"),
    "0801": ("0801", "A1"),
    "0802": ("0802", "A35"),
    "0803": ("0803 080301 080302", "A2 A21 A22"),
    "080301": ("080301", "A21"),
    "080302": ("080302", "A22"),
    "0804": ("0804 080401 080402 080403 080404 080405", "A3 A31 A32 A33 A34 A35"),
    "080401": ("080401", "A31"),
    "080402": ("080402", "A32"),
    "080403": ("080403", "A33"),
    "080404": ("080404", "A3 A31 A32 A33 A34 A35"),
    "080405": ("080405", "A34"),
    "0805": ("0805 080501 080502", "A4 A41 A42"),
    "080501": ("080501", "A41"),
    "080502": ("080502", "A42"),
    "0806": ("0806 080601 080602 080603", "A5 A51 A52 A53 A59"),
    "080601": ("080601", "A51"),
    "080602": ("080602", "A5 A51 A52 A53 A59"),
    "080603": ("080603", "A52"),
    "0807": ("0807 080701 080702 080703 080704", "A6"),
    "080701": ("080701", "A6"),
    "080702": ("080702", "A6"),
    "080703": ("080703", "A6"),
    "080704": ("080704", "A6"),
    "09": ("09 0901 090101 090102 090103 090104 090105 0902 0903 0904", "B B1 B11 B12 B13 B14 B2 B21 B22 B29 B3 B31 B32 B4 B41 B49 B9"),
    "0901": ("0901 090101 090102 090103 090104 090105", "B1 B11 B12 B13 B14 B4 B41 B49"),
    "090101": ("090101", "B11"),
    "090102": ("090102", "B12"),
    "090103": ("090103", "B13"),
    "090104": ("090104", "B14"),
    "090105": ("090105", "B4 B41 B49"),
    "0902": ("0902", "B2 B21 B22 B29"),
    "0903": ("0903", "B31"),
    "0904": ("0904", "B9"),
    "10": ("10 1001 100101 100102 100103 1002 1003", "H5 M M1 M2 M3"),
    "1001": ("1001 100101 100102 100103", "M M1 M2 M3"),
    "100101": ("100101", "M1"),
    "100102": ("100102", "M2"),
    "100103": ("100103", "M3"),
    "1002": ("1002", "H5"),
    "1003": ("1003", "H5"),
    "11": ("11 1101 110101 110102 110103 1102", "W W1 W2 W3"),
    "1101": ("1101 110101 110102 110103", "W W1 W2 W3"),
    "110101": ("110101", "W1"),
    "110102": ("110102", "W2"),
    "110103": ("110103", "W3"),
    "1102": ("1102", "W W1 W2 W3"),
    "12": ("12 1201 1202 1203 1204 1205 1206 1207 1208 120801 120802 120803 1209", "H21 H22 H23 H24 H25 S1 S2 S3 S4 S41 S42 S9"),
    "1201": ("1201", "H21"),
    "1202": ("1202", "H22"),
    "1203": ("1203", "H24"),
    "1204": ("1204", "H23"),
    "1205": ("1205", "H25"),
    "1206": ("1206", "S2"),
    "1207": ("1207", "S1"),
    "1208": ("1208 120801 120802 120803", "S3 S4 S41 S42"),
    "120801": ("120801", "S3"),
    "120802": ("120802", "S41"),
    "120803": ("120803", "S42"),
    "1209": ("1209", "S9"),
    "13": ("13 1301 1302 1303 1304 1305 1306 1307 1308 1309 1310 1311 1312", "H3 U U1 U11 U12 U13 U14 U15 U16 U2 U21 U22 U3 U31 U32 U9"),
    "1301": ("1301", "U11"),
    "1302": ("1302", "U21"),
    "1303": ("1303", "U12"),
    "1304": ("1304", "U13"),
    "1305": ("1305", "U14"),
    "1306": ("1306", "U15"),
    "1307": ("1307", "U15"),
    "1308": ("1308", "U16"),
    "1309": ("1309", "U22"),
    "1310": ("1310", "U31"),
    "1311": ("1311", "U32"),
    "1312": ("1312", "U9"),
    "14": ("14 1401 1402 1403", "G G1 G2 G3"),
    "1401": ("1401", "G1"),
    "1402": ("1402", "G2"),
    "1403": ("1403", "G3"),
    "15": ("15 1501 1502 1503 1504 1505 1506 1507", "A7 A8 A9 B9 H41 H42 H9"),
    "1501": ("1501", "H41"),
    "1502": ("1502", "A8"),
    "1503": ("1503", "A9"),
    "1504": ("1504", "A7"),
    "1505": ("1505", "H42"),
    "1506": ("1506", "B9"),
    "1507": ("1507", "H9"),
    "16": ("16", ""),
    "17": ("17 1701 1702 1703 1704 1705 1706", "E1 E11 E12 E13"),
    "1701": ("1701", "E11"),
    "1702": ("1702", "E11"),
    "1703": ("1703", "E12"),
    "1704": ("1704", "E13"),
    "1705": ("1705", "E13"),
    "1706": ("1706", "E11"),
    "18": ("18 1801 1802 1803 1804", ""),
    "1801": ("1801", ""),
    "1802": ("1802", ""),
    "1803": ("1803", ""),
    "1804": ("1804", ""),
    "19": ("19 1901 1902 1903 1904 1905 1906", ""),
    "1901": ("1901", ""),
    "1902": ("1902", ""),
    "1903": ("1903", ""),
    "1904": ("1904", ""),
    "1905": ("1905", ""),
    "1906": ("1906", ""),
    "20": ("20 2001 2002 2003 2004 2005", ""),
    "2001": ("2001", ""),
    "2002": ("2002", ""),
    "2003": ("2003", ""),
    "2004": ("2004", ""),
    "2005": ("2005", ""),
    "21": ("21 2101 2102", ""),
    "2101": ("2101", ""),
    "2102": ("2102", ""),
    "22": ("22 2201 2202 2203 2204 2205 2206", ""),
    "2201": ("2201", ""),
    "2202": ("2202", ""),
    "2203": ("2203", ""),
    "2204": ("2204", ""),
    "2205": ("2205", ""),
    "2206": ("2206", ""),
    "23": ("23 2301 2302 2303 2304 2305 2306 2307", "E2 E9"),
    "2301": ("2301", "E9"),
    "2302": ("2302", "E9"),
    "2303": ("2303", "E2"),
    "2304": ("2304", "E9"),
    "2305": ("2305", "E9"),
    "2306": ("2306", "E9"),
    "2307": ("2307", "E9"),
    "24": ("24", ""),
    "R": ("07 0701 070101 070102 070103 0702 0703 070301 070302 0704", "R R1 R11 R12 R2 R21 R22 R3 R31 R32"),
    "R1": ("070101 0702", "R1 R11 R12"),
    "R11": ("070101", "R11"),
    "R12": ("0702", "R12"),
    "R2": ("070102 0702", "R2 R21 R22"),
    "R21": ("070102", "R21"),
    "R22": ("0702", "R22"),
    "R3": ("070103 0702", "R3 R31 R32"),
    "R31": ("070103", "R31"),
    "R32": ("0702", "R32"),
    "A": ("08 0801 0802 0803 080301 080302 0804 080401 080402 080403 080404 080405 0805 080501 080502 0806 080601 080602 080603 0807 080701 080702 080703 080704 1502 1503 1504", "A A1 A2 A21 A22 A3 A31 A32 A33 A34 A35 A4 A41 A42 A5 A51 A52 A53 A59 A6 A7 A8 A9"),
    "A1": ("0801", "A1"),
    "A2": ("0803 080301 080302", "A2 A21 A22"),
    "A21": ("080301", "A21"),
    "A22": ("080302", "A22"),
    "A3": ("0802 0804 080401 080402 080403 080404 080405", "A3 A31 A32 A33 A34 A35"),
    "A31": ("080401", "A31"),
    "A32": ("080402", "A32"),
    "A33": ("080403", "A33"),
    "A34": ("080405", "A34"),
    "A35": ("0802", "A35"),
    "A4": ("0805 080501 080502", "A4 A41 A42"),
    "A41": ("080501", "A41"),
    "A42": ("080502", "A42"),
    "A5": ("0806 080601 080602 080603", "A5 A51 A52 A53 A59"),
    "A51": ("080601", "A51"),
    "A52": ("080603", "A52"),
    "A53": ("0806 080601 080602 080603", "A53"),
    "A59": ("0806 080601 080602 080603", "A59"),
    "A6": ("0807 080701 080702 080703 080704", "A6"),
    "A7": ("1504", "A7"),
    "A8": ("1502", "A8"),
    "A9": ("1503", "A9"),
    "B": ("09 0901 090101 090102 090103 090104 090105 0902 0903 0904 1506", "B B1 B11 B12 B13 B14 B2 B21 B22 B29 B3 B31 B32 B4 B41 B49 B9"),
    "B1": ("0901 090101 090102 090103 090104 090105", "B1 B11 B12 B13 B14"),
    "B11": ("090101", "B11"),
    "B12": ("090102", "B12"),
    "B13": ("090103", "B13"),
    "B14": ("090104", "B14"),
    "B2": ("0902", "B2 B21 B22 B29"),
    "B21": ("0902", "B21"),
    "B22": ("0902", "B22"),
    "B29": ("0902", "B29"),
    "B3": ("0903", "B3 B31 B32"),
    "B31": ("0903", "B31"),
    "B32": ("09 0901 090101 090102 090103 090104 090105 0902 0903 0904", "B32"),
    "B4": ("090105", "B4 B41 B49"),
    "B41": ("090105", "B41"),
    "B49": ("090105", "B49"),
    "B9": ("0904 1506", "B9"),
    "M": ("1001 100101 100102 100103", "M M1 M2 M3"),
    "M1": ("100101", "M1"),
    "M2": ("100102", "M2"),
    "M3": ("100103", "M3"),
    "W": ("11 1101 110101 110102 110103 1102", "W W1 W2 W3"),
    "W1": ("110101", "W1"),
    "W2": ("110102", "W2"),
    "W3": ("110103", "W3"),
    "S": ("1206 1207 1208 120801 120802 120803 1209", "S S1 S2 S3 S4 S41 S42 S9"),
    "S1": ("1207", "S1"),
    "S2": ("1206", "S2"),
    "S3": ("120801", "S3"),
    "S4": ("1208 120801 120802 120803", "S4 S41 S42"),
    "S41": ("120802", "S41"),
    "S42": ("120803", "S42"),
    "S9": ("1209", "S9"),
    "U": ("13 1301 1302 1303 1304 1305 1306 1307 1308 1309 1310 1311 1312", "U U1 U11 U12 U13 U14 U15 U16 U2 U21 U22 U3 U31 U32 U9"),
    "U1": ("1301 1303 1304 1305 1306 1307 1308", "U1 U11 U12 U13 U14 U15 U16"),
    "U11": ("1301", "U11"),
    "U12": ("1303", "U12"),
    "U13": ("1304", "U13"),
    "U14": ("1305", "U14"),
    "U15": ("1306 1307", "U15"),
    "U16": ("1308", "U16"),
    "U2": ("1302 1309", "U2 U21 U22"),
    "U21": ("1302", "U21"),
    "U22": ("1309", "U22"),
    "U3": ("1310 1311", "U3 U31 U32"),
    "U31": ("1310", "U31"),
    "U32": ("1311", "U32"),
    "U9": ("1312", "U9"),
    "G": ("14 1401 1402 1403", "G G1 G2 G3"),
    "G1": ("1401", "G1"),
    "G2": ("1402", "G2"),
    "G3": ("1403", "G3"),
    "H": ("1002 1003 1201 1202 1203 1204 1205 13 1301 1302 1303 1304 1305 1306 1307 1308 1309 1310 1311 1312 1501 1505 1507", "H H1 H11 H12 H13 H14 H2 H21 H22 H23 H24 H25 H3 H4 H41 H42 H5 H9"),
    "H1": ("", "H1 H11 H12 H13 H14"),
    "H11": ("", "H11"),
    "H12": ("", "H12"),
    "H13": ("", "H13"),
    "H14": ("", "H14"),
    "H2": ("1201 1202 1203 1204 1205", "H2 H21 H22 H23 H24 H25"),
    "H21": ("1201", "H21"),
    "H22": ("1202", "H22"),
    "H23": ("1204", "H23"),
    "H24": ("1203", "H24"),
    "H25": ("1205", "H25"),
    "H3": ("13 1301 1302 1303 1304 1305 1306 1307 1308 1309 1310 1311 1312", "H3"),
    "H4": ("1501 1505", "H4 H41 H42"),
    "H41": ("1501", "H41"),
    "H42": ("1505", "H42"),
    "H5": ("1002 1003", "H5"),
    "H9": ("1507", "H9"),
    "E": ("01 0101 0102 0103 02 0201 0202 0203 0204 0205 03 0301 0302 0303 0304 04 0401 0402 0403 0501 0502 0503 0504 0505 0506 0507 06 0601 060101 060102 0602 060201 060202 060203 17 1701 1702 1703 1704 1705 1706 2301 2302 2303 2304 2305 2306 2307", "E E1 E11 E12 E13 E2 E9"),
    "E1": ("0505 0506 17 1701 1702 1703 1704 1705 1706", "E1 E11 E12 E13"),
    "E11": ("0505 0506 1701 1702 1706", "E11"),
    "E12": ("1703", "E12"),
    "E13": ("1704 1705", "E13"),
    "E2": ("01 0101 0102 0103 02 0201 0202 0203 0204 0205 03 0301 0302 0303 0304 04 0401 0402 0403 0507 06 0601 060101 060102 0602 060201 060202 060203 2303", "E2"),
    "E9": ("0501 0502 0503 0504 2301 2302 2304 2305 2306 2307", "E9"),
}

#: GB/T 4754-2017 division → its section
SECTION_OF: dict[str, str] = {
    "01": "A",
    "02": "A",
    "03": "A",
    "04": "A",
    "05": "A",
    "06": "B",
    "07": "B",
    "08": "B",
    "09": "B",
    "10": "B",
    "11": "B",
    "12": "B",
    "13": "C",
    "14": "C",
    "15": "C",
    "16": "C",
    "17": "C",
    "18": "C",
    "19": "C",
    "20": "C",
    "21": "C",
    "22": "C",
    "23": "C",
    "24": "C",
    "25": "C",
    "26": "C",
    "27": "C",
    "28": "C",
    "29": "C",
    "30": "C",
    "31": "C",
    "32": "C",
    "33": "C",
    "34": "C",
    "35": "C",
    "36": "C",
    "37": "C",
    "38": "C",
    "39": "C",
    "40": "C",
    "41": "C",
    "42": "C",
    "43": "C",
    "44": "D",
    "45": "D",
    "46": "D",
    "47": "E",
    "48": "E",
    "49": "E",
    "50": "E",
    "51": "F",
    "52": "F",
    "53": "G",
    "54": "G",
    "55": "G",
    "56": "G",
    "57": "G",
    "58": "G",
    "59": "G",
    "60": "G",
    "61": "H",
    "62": "H",
    "63": "I",
    "64": "I",
    "65": "I",
    "66": "J",
    "67": "J",
    "68": "J",
    "69": "J",
    "70": "K",
    "71": "L",
    "72": "L",
    "73": "M",
    "74": "M",
    "75": "M",
    "76": "N",
    "77": "N",
    "78": "N",
    "79": "N",
    "80": "O",
    "81": "O",
    "82": "O",
    "83": "P",
    "84": "Q",
    "85": "Q",
    "86": "R",
    "87": "R",
    "88": "R",
    "89": "R",
    "90": "R",
    "91": "S",
    "92": "S",
    "93": "S",
    "94": "S",
    "95": "S",
    "96": "S",
    "97": "T",
}

#: a section, a division or a refined group/class → the 2023 codes and GB 50137 codes
#: (space-separated) of its compatible land uses, expanded: industry.land_use_codes() then
#: landuse.expand_query() of each
INDUSTRY_LAND_USE: dict[str, tuple[str, str]] = {
    "A": ("01 0101 0102 0103 02 0201 0202 0203 0204 0205 03 0301 0302 0303 0304 04 0401 0402 0403 0602 060201 060202 060203 1704 1801 1802", "E13 E2"),
    "B": ("1002 1003 1903 1904", "H5"),
    "C": ("100101 100102 100103", "M1 M2 M3"),
    "D": ("100102 100103 110103 1301 1302 1303 1304 1305 1905", "M2 M3 U11 U12 U13 U14 U21 W3"),
    "E": ("0902", "B2 B21 B22 B29"),
    "F": ("0901 090101 090102 090103 090104 090105 0902", "B1 B11 B12 B13 B14 B2 B21 B22 B29 B4 B41 B49"),
    "G": ("1101 110101 110102 110103 1102 1201 1203 1204 1205 1208 120801 120802 120803 1307 1906 2001", "H21 H23 H24 H25 S3 S4 S41 S42 U15 W W1 W2 W3"),
    "H": ("090101 090103 090104", "B11 B13 B14"),
    "I": ("0902 100101 1306 1308", "B2 B21 B22 B29 M1 U15 U16"),
    "J": ("0902", "B2 B21 B22 B29"),
    "K": ("0701 070101 070102 070103 0901 090101 090102 090103 090104 090105 0902", "B1 B11 B12 B13 B14 B2 B21 B22 B29 B4 B41 B49 R1 R11 R12 R2 R21 R22 R3 R31 R32"),
    "L": ("0902", "B2 B21 B22 B29"),
    "M": ("0802 0902 100101", "A35 B2 B21 B22 B29 M1"),
    "N": ("0902 1309 1311 1401", "B2 B21 B22 B29 G1 U22 U32"),
    "O": ("0904", "B9"),
    "P": ("0804 080401 080402 080403 080404 080405", "A3 A31 A32 A33 A34 A35"),
    "Q": ("0806 080601 080602 080603 0807 080701 080702 080703 080704", "A5 A51 A52 A53 A59 A6"),
    "R": ("0803 080301 080302 0805 080501 080502 0902 0903", "A2 A21 A22 A4 A41 A42 B2 B21 B22 B29 B31"),
    "S": ("0801", "A1"),
    "T": ("1502", "A8"),
    "01": ("01 0101 0102 0103 02 0201 0202 0203 0204 0205 060201", "E2"),
    "02": ("03 0301 0302 0303 0304", "E2"),
    "03": ("04 0401 0402 0403 060202", "E2"),
    "04": ("060203 1704 1801 1802", "E13 E2"),
    "05": ("0602 060201 060202 060203", "E2"),
    "06": ("1002", "H5"),
    "07": ("1002 1904", "H5"),
    "08": ("1002", "H5"),
    "09": ("1002", "H5"),
    "10": ("1002 1003 1903", "H5"),
    "11": ("1002", "H5"),
    "12": ("1002", "H5"),
    "13": ("100101 100102", "M1 M2"),
    "14": ("100101 100102", "M1 M2"),
    "15": ("100101 100102", "M1 M2"),
    "16": ("100101 100102", "M1 M2"),
    "17": ("100101 100102", "M1 M2"),
    "18": ("100101 100102", "M1 M2"),
    "19": ("100101 100102", "M1 M2"),
    "20": ("100101 100102", "M1 M2"),
    "21": ("100101 100102", "M1 M2"),
    "22": ("100101 100102", "M1 M2"),
    "23": ("100101 100102", "M1 M2"),
    "24": ("100101 100102", "M1 M2"),
    "25": ("100103", "M3"),
    "26": ("100102 100103", "M2 M3"),
    "27": ("100101 100102", "M1 M2"),
    "28": ("100102 100103", "M2 M3"),
    "29": ("100101 100102", "M1 M2"),
    "30": ("100102 100103", "M2 M3"),
    "31": ("100102 100103", "M2 M3"),
    "32": ("100102 100103", "M2 M3"),
    "33": ("100101 100102", "M1 M2"),
    "34": ("100101 100102", "M1 M2"),
    "35": ("100101 100102", "M1 M2"),
    "36": ("100101 100102", "M1 M2"),
    "37": ("100102 100103", "M2 M3"),
    "38": ("100101 100102", "M1 M2"),
    "39": ("100101 100102", "M1 M2"),
    "40": ("100101 100102", "M1 M2"),
    "41": ("100101 100102", "M1 M2"),
    "42": ("100102 100103", "M2 M3"),
    "43": ("100101 100102", "M1 M2"),
    "44": ("100102 100103 1303 1305 1905", "M2 M3 U12 U14"),
    "45": ("110103 1304", "U13 W3"),
    "46": ("1301 1302", "U11 U21"),
    "47": ("0902", "B2 B21 B22 B29"),
    "48": ("0902", "B2 B21 B22 B29"),
    "49": ("0902", "B2 B21 B22 B29"),
    "50": ("0902", "B2 B21 B22 B29"),
    "51": ("090102 0902", "B12 B2 B21 B22 B29"),
    "52": ("0901 090101 090102 090103 090104 090105", "B1 B11 B12 B13 B14 B4 B41 B49"),
    "53": ("1201 120801", "H21 S3"),
    "54": ("110101 1208 120801 120802 120803", "S3 S4 S41 S42 W1"),
    "55": ("1204 120801 2001", "H23 S3"),
    "56": ("1203", "H24"),
    "57": ("1205 1906", "H25"),
    "58": ("110101 110102", "W1 W2"),
    "59": ("1101 110101 110102 110103 1102", "W W1 W2 W3"),
    "60": ("110101 1307", "U15 W1"),
    "61": ("090104", "B14"),
    "62": ("090101 090103", "B11 B13"),
    "63": ("1306 1308", "U15 U16"),
    "64": ("0902", "B2 B21 B22 B29"),
    "65": ("0902 100101", "B2 B21 B22 B29 M1"),
    "66": ("0902", "B2 B21 B22 B29"),
    "67": ("0902", "B2 B21 B22 B29"),
    "68": ("0902", "B2 B21 B22 B29"),
    "69": ("0902", "B2 B21 B22 B29"),
    "70": ("0701 070101 070102 070103 0901 090101 090102 090103 090104 090105 0902", "B1 B11 B12 B13 B14 B2 B21 B22 B29 B4 B41 B49 R1 R11 R12 R2 R21 R22 R3 R31 R32"),
    "71": ("0902", "B2 B21 B22 B29"),
    "72": ("0902", "B2 B21 B22 B29"),
    "73": ("0802 0902 100101", "A35 B2 B21 B22 B29 M1"),
    "74": ("0902", "B2 B21 B22 B29"),
    "75": ("0902", "B2 B21 B22 B29"),
    "76": ("1311", "U32"),
    "77": ("1309", "U22"),
    "78": ("1309 1401", "G1 U22"),
    "79": ("0902", "B2 B21 B22 B29"),
    "80": ("0904", "B9"),
    "81": ("0904", "B9"),
    "82": ("0904", "B9"),
    "83": ("0804 080401 080402 080403 080404 080405", "A3 A31 A32 A33 A34 A35"),
    "84": ("0806 080601 080602 080603", "A5 A51 A52 A53 A59"),
    "85": ("0807 080701 080702 080703 080704", "A6"),
    "86": ("0902", "B2 B21 B22 B29"),
    "87": ("0902", "B2 B21 B22 B29"),
    "88": ("0803 080301 080302", "A2 A21 A22"),
    "89": ("0805 080501 080502", "A4 A41 A42"),
    "90": ("0903", "B31"),
    "91": ("0801", "A1"),
    "92": ("0801", "A1"),
    "93": ("0801", "A1"),
    "94": ("0801", "A1"),
    "95": ("0801", "A1"),
    "96": ("0801", "A1"),
    "97": ("1502", "A8"),
    "1713": ("100102 100103", "M2 M3"),
    "1723": ("100102 100103", "M2 M3"),
    "1733": ("100102 100103", "M2 M3"),
    "1743": ("100102 100103", "M2 M3"),
    "1752": ("100102 100103", "M2 M3"),
    "1762": ("100102 100103", "M2 M3"),
    "191": ("100102 100103", "M2 M3"),
    "1931": ("100102 100103", "M2 M3"),
    "221": ("100102 100103", "M2 M3"),
    "222": ("100102 100103", "M2 M3"),
    "271": ("100102 100103", "M2 M3"),
    "336": ("100102 100103", "M2 M3"),
    "373": ("100102 100103 1901", "M2 M3"),
    "4342": ("100102 100103 1901", "M2 M3"),
}
# fmt: on

_INDUSTRY = re.compile(r"([A-T])?(\d{2}|\d{3}|\d{4})?")


def _industry(text: str) -> str | None:
    """The normalised GB/T 4754 code of ``text`` (``industry.normalise``); ``None`` if no code."""
    m = _INDUSTRY.fullmatch(text) if text else None
    if m is None:
        return None
    letter, digits = m.groups()
    section = SECTION_OF.get(digits[:2]) if digits else None
    if (digits and section is None) or (letter and section and letter != section):
        return None
    return f"{section}{digits}" if section else letter


def _industry_sets(code: str) -> tuple[str, str]:
    """The land-use sets of a normalised industry code (``industry.land_use_codes``, expanded)."""
    if code in INDUSTRY_LAND_USE:  # a section
        return INDUSTRY_LAND_USE[code]
    digits = code[1:]
    detail = next(
        (c for c in (digits[:4], digits[:3]) if len(c) > 2 and c in INDUSTRY_LAND_USE), None
    )
    return INDUSTRY_LAND_USE[detail or digits[:2]]


def _spec(need: str, industry: str | None, codes: list | None) -> tuple | None:
    """The normalised codes and land-use sets ``parse_spec`` gave the row; ``None`` if refused.

    ``parse_spec({"need": …, "industry": …, "land_use_codes": …})`` then
    ``land_use_sets()``: blanks stripped; need in the vocabulary; industry at most 20 characters
    and a GB/T 4754 code (empty means none); at most 20 land-use codes of at most 10 characters,
    each a 2023 or GB 50137 code (upper-cased, duplicates dropped). Stated codes win over the
    industry's classes.
    """
    if need is None or need.strip() not in NEEDS or codes is None:
        return None
    if industry is not None:
        industry = industry.strip()
        if len(industry) > 20:
            return None
        if industry:
            industry = _industry(industry.upper())
            if industry is None:
                return None
        else:
            industry = None
    if len(codes) > 20 or any(not isinstance(c, str) or len(c.strip()) > 10 for c in codes):
        return None
    stated = list(dict.fromkeys(c.strip().upper() for c in codes))
    if any(c not in LAND_USE_SETS for c in stated):
        return None
    if stated or not industry:
        sets = [LAND_USE_SETS[c] for c in stated]
    else:
        sets = [_industry_sets(industry)]
    c2023 = sorted({c for a, _ in sets for c in a.split()})
    cgb = sorted({c for _, b in sets for c in b.split()})
    return stated, c2023, cgb


def _expand_unexpanded() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT id, need, industry, land_use_codes FROM requirement"
            " WHERE EXISTS (SELECT 1 FROM unnest(land_use_codes) c"
            "                WHERE NOT (c = ANY(land_use_2023_codes) OR c = ANY(land_use_gb_codes)))"
            "    OR (cardinality(land_use_codes) = 0 AND industry IS NOT NULL"
            "        AND cardinality(land_use_2023_codes) + cardinality(land_use_gb_codes) = 0)"
            " ORDER BY id"
        )
    ).all()
    for rid, need, industry, codes in rows:
        spec = _spec(need, industry, codes)
        if spec is None:
            # codes that are not codes: left for an officer to correct (the trigger will name
            # the requirement when someone next edits its land uses)
            continue
        stated, c2023, cgb = spec
        conn.execute(
            sa.text(
                "UPDATE requirement SET land_use_codes = :codes, land_use_2023_codes = :a,"
                " land_use_gb_codes = :b WHERE id = :id"
            ),
            {"id": rid, "codes": stated, "a": c2023, "b": cgb},
        )


def upgrade() -> None:
    _expand_unexpanded()
    op.execute(CHECK)


def downgrade() -> None:
    op.execute(DROP)
