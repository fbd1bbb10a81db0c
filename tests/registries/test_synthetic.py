"""The synthetic data generator: identifiers that agree with the person, families that hold together,
enterprises with living representatives, places from the catalogue, no collisions, same seed same rows."""

from __future__ import annotations

import json
import shutil
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from vnegov import migrate
from vnegov.kernel import audit
from vnegov.kernel.clock import today_vn
from vnegov.kernel.db import Database
from vnegov.kernel.text import fold
from vnegov.registries import enterprises, identifiers, synthetic

CITIZENS, ENTERPRISES = 2000, 100
TABLES = ("registries_citizen", "registries_household", "registries_enterprise")


@dataclass
class Run:
    db: Database
    result: synthetic.Generated
    communes: list[str]
    ticks: list[int]
    first: dict[str, int]  # ids of this run: first <= id <= last
    last: dict[str, int]

    def rows(self, sql: str, **params: Any) -> list[sa.Row[Any]]:
        """`sql` over this run's rows: `:lo`/`:hi` bound to the citizen ids, `:hlo`/`:hhi` to households,
        `:elo`/`:ehi` to enterprises."""
        bounds = {
            "lo": self.first["registries_citizen"],
            "hi": self.last["registries_citizen"],
            "hlo": self.first["registries_household"],
            "hhi": self.last["registries_household"],
            "elo": self.first["registries_enterprise"],
            "ehi": self.last["registries_enterprise"],
        }
        with self.db.read() as session:
            return list(session.execute(sa.text(sql), {**bounds, **params}).all())


def _max_ids(db: Database) -> dict[str, int]:
    with db.read() as session:
        return {t: int(session.scalar(sa.text(f"SELECT coalesce(max(id), 0) FROM {t}")) or 0) for t in TABLES}


def _count(db: Database, table: str) -> int:
    with db.read() as session:
        return int(session.scalar(sa.text(f"SELECT count(*) FROM {table}")) or 0)


@pytest.fixture(scope="module")
def communes(reference_data: Database) -> list[str]:
    with reference_data.read() as session:
        return synthetic.current_communes(session)


@pytest.fixture(scope="module")
def run(reference_data: Database, communes: list[str]) -> Run:
    db = reference_data
    before = _max_ids(db)
    ticks: list[int] = []
    result = synthetic.generate(
        db,
        citizens=CITIZENS,
        enterprises=ENTERPRISES,
        communes=communes,
        seed=0,
        progress=ticks.append,
        batch=700,
    )
    return Run(db, result, communes, ticks, {t: i + 1 for t, i in before.items()}, _max_ids(db))


def test_communes_are_todays_from_the_catalogue(communes: list[str]) -> None:
    assert len(communes) == 3321
    assert "00004" in communes  # Phường Ba Đình
    assert all(len(c) == 5 and c.isdigit() for c in communes)


def test_it_adds_what_was_asked_and_reports_progress(run: Run) -> None:
    assert run.result.citizens == CITIZENS and run.result.enterprises == ENTERPRISES
    assert run.rows("SELECT count(*) FROM registries_citizen WHERE id BETWEEN :lo AND :hi")[0][0] == CITIZENS
    households = run.rows("SELECT count(*) FROM registries_household WHERE id BETWEEN :hlo AND :hhi")[0][0]
    assert households == run.result.households and CITIZENS / 6 < households < CITIZENS / 2
    assert (
        run.rows("SELECT count(*) FROM registries_enterprise WHERE id BETWEEN :elo AND :ehi")[0][0]
        == ENTERPRISES
    )
    assert sum(run.ticks) == CITIZENS + ENTERPRISES and len(run.ticks) >= 3  # batches of 700
    with run.db.read() as session:
        entries = audit.list_entries(session, object_type="registry", action_prefix="registries.generate")
    expected = {"citizens": CITIZENS, "households": households, "enterprises": ENTERPRISES, "seed": 0}
    assert any(e.after == expected for e in entries)


def test_personal_ids_agree_with_sex_and_year_of_birth(run: Run) -> None:
    rows = run.rows(
        "SELECT personal_id, sex, birth_year, birth_month, birth_day, family_name, middle_name, given_name, "
        "name_folded, ethnicity, religion, nationality, version FROM registries_citizen "
        "WHERE id BETWEEN :lo AND :hi"
    )
    for (
        pid,
        sex,
        year,
        month,
        day,
        family,
        middle,
        given,
        folded,
        ethnicity,
        religion,
        nationality,
        version,
    ) in rows:
        identifiers.check_personal_id(pid, sex=sex, birth_year=year)
        assert int(pid[6:]) >= synthetic.PID_SERIAL_FROM  # outside the demo seed's serials
        assert 1925 <= year <= today_vn().year and sex in ("1", "2")
        if month is not None:
            assert date(year, month, day or 1) <= today_vn()
        for text in (family, middle, given):
            assert text == unicodedata.normalize("NFC", text)
        assert folded == fold(f"{family} {middle} {given}")
        assert 1 <= int(ethnicity) <= 54 and len(ethnicity) == 2
        assert len(religion) == 2 and nationality == "VN" and version == 1


def test_households_share_the_head_s_commune(run: Run) -> None:
    households = run.rows(
        "SELECT id, code, head_personal_id, commune FROM registries_household WHERE id BETWEEN :hlo AND :hhi"
    )
    members: dict[int, list[sa.Row[Any]]] = {}
    for row in run.rows(
        "SELECT household_id, personal_id, household_relation, permanent_commune, permanent_address, "
        "current_commune, status FROM registries_citizen "
        "WHERE id BETWEEN :lo AND :hi AND household_id IS NOT NULL"
    ):
        members.setdefault(row[0], []).append(row)
    known = set(run.communes)
    for hid, code, head, commune in households:
        people = members[hid]
        assert 1 <= len(people) <= 6
        assert commune in known and code.startswith(commune)
        assert [p.household_relation for p in people if p.personal_id == head] == ["Chủ hộ"]
        assert sum(p.household_relation == "Chủ hộ" for p in people) == 1
        assert {(p.permanent_commune, p.permanent_address) for p in people} == {(commune, people[0][4])}
        assert all(p.status == "living" for p in people)
    assert sum(len(m) for m in members.values()) > CITIZENS * 0.97  # the others are deceased relatives
    relations = {r[0] for r in run.rows(
        "SELECT DISTINCT household_relation FROM registries_citizen WHERE id BETWEEN :lo AND :hi"
    )}  # fmt: skip
    assert {"Chủ hộ", "Vợ", "Chồng", "Con", "Cháu", "Mẹ", "Con dâu"} <= relations


def test_parents_are_older_spouses_point_at_each_other(run: Run) -> None:
    young_parents = run.rows(
        "SELECT count(*) FROM registries_citizen c JOIN registries_citizen p "
        "ON p.personal_id IN (c.father_personal_id, c.mother_personal_id) "
        "WHERE c.id BETWEEN :lo AND :hi AND c.birth_year - p.birth_year < 18"
    )
    assert young_parents[0][0] == 0
    wrong_sex = run.rows(
        "SELECT count(*) FROM registries_citizen c "
        "JOIN registries_citizen f ON f.personal_id = c.father_personal_id "
        "JOIN registries_citizen m ON m.personal_id = c.mother_personal_id "
        "WHERE c.id BETWEEN :lo AND :hi AND (f.sex <> '1' OR m.sex <> '2')"
    )
    assert wrong_sex[0][0] == 0
    with_both = run.rows(
        "SELECT count(*) FROM registries_citizen WHERE id BETWEEN :lo AND :hi "
        "AND father_personal_id IS NOT NULL AND mother_personal_id IS NOT NULL"
    )
    assert with_both[0][0] > CITIZENS * 0.3
    spouses = run.rows(
        "SELECT c.personal_id, c.sex, s.spouse_personal_id, s.sex FROM registries_citizen c "
        "LEFT JOIN registries_citizen s ON s.personal_id = c.spouse_personal_id "
        "WHERE c.id BETWEEN :lo AND :hi AND c.spouse_personal_id IS NOT NULL"
    )
    assert len(spouses) > CITIZENS * 0.3
    assert all(back == pid and sex != other_sex for pid, sex, back, other_sex in spouses)
    # every relative named is on the register
    dangling = run.rows(
        "SELECT count(*) FROM registries_citizen c WHERE c.id BETWEEN :lo AND :hi AND ("
        " (c.father_personal_id IS NOT NULL AND NOT EXISTS "
        "  (SELECT 1 FROM registries_citizen f WHERE f.personal_id = c.father_personal_id))"
        " OR (c.mother_personal_id IS NOT NULL AND NOT EXISTS "
        "  (SELECT 1 FROM registries_citizen m WHERE m.personal_id = c.mother_personal_id)))"
    )
    assert dangling[0][0] == 0
    children = run.rows(
        "SELECT c.family_name, f.family_name FROM registries_citizen c "
        "JOIN registries_citizen f ON f.personal_id = c.father_personal_id WHERE c.id BETWEEN :lo AND :hi"
    )
    assert all(child == father for child, father in children)


def test_the_dead_died_after_they_were_born(run: Run) -> None:
    dead = run.rows(
        "SELECT birth_year, death_date, household_id FROM registries_citizen "
        "WHERE id BETWEEN :lo AND :hi AND status = 'deceased'"
    )
    assert 0 < len(dead) < CITIZENS * 0.02
    for year, died, household in dead:
        died = died if isinstance(died, date) else date.fromisoformat(died)
        assert year < died.year and died <= today_vn() and household is None
    for birth_year, died in run.rows(
        "SELECT c.birth_year, p.death_date FROM registries_citizen c JOIN registries_citizen p "
        "ON p.personal_id IN (c.father_personal_id, c.mother_personal_id) "
        "WHERE c.id BETWEEN :lo AND :hi AND p.status = 'deceased'"
    ):
        died = died if isinstance(died, date) else date.fromisoformat(died)
        assert birth_year <= died.year  # no child born after a parent's death
    assert run.rows(
        "SELECT count(*) FROM registries_citizen WHERE id BETWEEN :lo AND :hi "
        "AND (status = 'living') = (death_date IS NOT NULL)"
    )[0][0] == 0  # fmt: skip


def test_places_are_communes_of_the_catalogue(run: Run) -> None:
    known = set(run.communes)
    rows = run.rows(
        "SELECT birth_place_commune, hometown_commune, permanent_commune, current_commune, current_address "
        "FROM registries_citizen WHERE id BETWEEN :lo AND :hi"
    )
    assert all(set(r[:4]) <= known and r.current_address for r in rows)
    elsewhere = sum(r.current_commune != r.permanent_commune for r in rows) / len(rows)
    assert 0.02 < elsewhere < 0.1
    assert len({r.permanent_commune for r in rows}) > 300  # spread out, not a handful of communes


def test_names_and_people_look_vietnamese(run: Run) -> None:
    rows = run.rows(
        "SELECT family_name, middle_name, sex, ethnicity, birth_month FROM registries_citizen "
        "WHERE id BETWEEN :lo AND :hi"
    )
    share = lambda test: sum(1 for r in rows if test(r)) / len(rows)  # noqa: E731
    assert 0.25 < share(lambda r: r.family_name == "Nguyễn") < 0.45
    assert 0.45 < share(lambda r: r.sex == "2") < 0.55
    assert share(lambda r: r.ethnicity == "01") > 0.75
    assert share(lambda r: r.sex == "2" and r.middle_name.startswith("Thị")) > 0.1
    assert 0 < share(lambda r: r.birth_month is None) < 0.03
    assert {"Huỳnh", "Hoàng", "Võ", "Vũ"} <= {r.family_name for r in rows}


def test_enterprises_have_valid_codes_and_living_representatives(run: Run) -> None:
    rows = run.rows(
        "SELECT e.code, e.parent_code, e.enterprise_type, e.name_vi, e.name_en, e.short_name, e.name_folded, "
        "e.head_office_commune, e.charter_capital, e.business_lines, e.registered_on, e.status, "
        "e.status_since, "
        "c.status, c.birth_year FROM registries_enterprise e "
        "LEFT JOIN registries_citizen c ON c.personal_id = e.representative_personal_id "
        "WHERE e.id BETWEEN :elo AND :ehi"
    )
    codes = {r[0] for r in rows}
    known = set(run.communes)
    for row in rows:
        (
            code,
            parent,
            kind,
            name_vi,
            name_en,
            short,
            folded,
            commune,
            capital,
            lines,
            registered,
            status,
            since,
        ) = row[:13]
        rep = list(row[13:])
        assert identifiers.parse_enterprise_code(code) == code
        assert kind in synthetic.ENTERPRISE_TYPES and kind in enterprises.TYPES
        if len(code) == 13:
            assert parent == code[:10] and parent in codes and kind in ("CN", "VPDD") and capital == 0
            assert name_vi.startswith(("Chi nhánh", "Văn phòng đại diện"))
        else:
            assert parent is None and kind not in ("CN", "VPDD")
            assert capital >= 10_000_000 and capital % 1_000_000 == 0
        assert folded == fold(" ".join(v for v in (name_vi, name_en, short) if v))
        assert commune in known
        lines = json.loads(lines) if isinstance(lines, str) else lines
        assert sum(line["main"] for line in lines) == 1
        assert all(line["code"] in synthetic.BUSINESS_LINES for line in lines)
        registered = registered if isinstance(registered, date) else date.fromisoformat(registered)
        since = since if isinstance(since, date) else date.fromisoformat(since)
        assert date(1991, 1, 1) <= registered <= since <= today_vn()
        assert status in enterprises.STATUSES
        assert rep == ["living", rep[1]] and today_vn().year - rep[1] >= 18
    assert any(len(c) == 13 for c in codes)
    assert sum(r[11] == "active" for r in rows) > ENTERPRISES * 0.6


def test_another_run_adds_rows_without_collisions(run: Run) -> None:
    """A run with another seed, and one with the same seed again (every ID of which is taken, so all are
    drawn again and the families repointed), add their rows beside the first."""
    db = run.db
    counts = {t: _count(db, t) for t in TABLES}
    before = _max_ids(db)
    other = synthetic.generate(db, citizens=300, enterprises=20, communes=run.communes, seed=1)
    again = synthetic.generate(db, citizens=300, enterprises=20, communes=run.communes, seed=0, batch=150)
    assert _count(db, "registries_citizen") == counts["registries_citizen"] + 600
    assert _count(db, "registries_enterprise") == counts["registries_enterprise"] + 40
    assert (
        _count(db, "registries_household")
        == counts["registries_household"] + other.households + again.households
    )
    with db.read() as session:
        rows = session.execute(
            sa.text(
                "SELECT c.personal_id, c.sex, c.birth_year, "
                " (SELECT count(*) FROM registries_citizen f WHERE f.personal_id IN "
                "   (c.father_personal_id, c.mother_personal_id, c.spouse_personal_id)), "
                " (CASE WHEN c.father_personal_id IS NULL THEN 0 ELSE 1 END) "
                " + (CASE WHEN c.mother_personal_id IS NULL THEN 0 ELSE 1 END) "
                " + (CASE WHEN c.spouse_personal_id IS NULL THEN 0 ELSE 1 END), "
                " h.head_personal_id IS NULL OR EXISTS "
                "   (SELECT 1 FROM registries_citizen x WHERE x.personal_id = h.head_personal_id) "
                "FROM registries_citizen c LEFT JOIN registries_household h ON h.id = c.household_id "
                "WHERE c.id > :lo"
            ),
            {"lo": before["registries_citizen"]},
        ).all()
    assert len(rows) == 600
    for pid, sex, year, found, named, head_known in rows:
        identifiers.check_personal_id(pid, sex=sex, birth_year=year)
        assert found == named and head_known  # relatives and heads point at the redrawn IDs


def test_enterprises_alone_take_representatives_from_the_register(run: Run) -> None:
    before = _max_ids(run.db)
    synthetic.generate(run.db, citizens=0, enterprises=5, communes=run.communes, seed=2)
    with run.db.read() as session:
        reps = session.execute(
            sa.text(
                "SELECT c.status, c.birth_year FROM registries_enterprise e JOIN registries_citizen c "
                "ON c.personal_id = e.representative_personal_id WHERE e.id > :lo"
            ),
            {"lo": before["registries_enterprise"]},
        ).all()
    assert len(reps) == 5 and all(s == "living" and today_vn().year - y >= 18 for s, y in reps)


def test_the_same_seed_gives_the_same_rows(tmp_path: Path, communes: list[str]) -> None:
    """Two fresh databases (without catalogues: the communes' provinces come from their codes)."""
    first = tmp_path / "a.db"
    template = Database(f"sqlite:///{first}")
    migrate.upgrade(template)
    template.dispose()
    shutil.copy(first, tmp_path / "b.db")
    shutil.copy(first, tmp_path / "c.db")

    def rows(name: str, seed: int) -> list[tuple[Any, ...]]:
        db = Database(f"sqlite:///{tmp_path / name}")
        try:
            synthetic.generate(db, citizens=300, enterprises=15, communes=communes[::7], seed=seed, batch=100)
            with db.read() as session:
                out = []
                for table in TABLES:
                    result = session.execute(sa.text(f"SELECT * FROM {table} ORDER BY id"))
                    keys = [k for k in result.keys() if k not in ("created_at", "updated_at")]  # noqa: SIM118
                    out += [tuple(m[k] for k in keys) for m in result.mappings()]
                return out
        finally:
            db.dispose()

    same = rows("a.db", 7)
    assert same == rows("b.db", 7)
    assert same != rows("c.db", 8)
    for row in same[:300]:
        identifiers.check_personal_id(row[1], sex=row[9], birth_year=row[6])
