"""The versioned consent ledger, and capture held until the consent covers what the settings record."""

import json
import time

import pytest

import store
from capture import consent_text, control, settings
from store import schema
from store.paths import Paths
from testkit import DaemonProcess, cli, rows

REPLAY = ("--backend", "replay", "--replay", "rate=200")


def _more(**sections):
    return consent_text.records_more(consent_text.scope(settings.Settings()),
                                     consent_text.scope(settings.validate(sections)))


@pytest.mark.parametrize("sections, said", [
    ({"titles": {"apps": ["firefox"]}}, "window titles stored for: firefox"),
    ({"exclude": {"password_prompts": False}}, "no longer excluded"),
    ({"exclude": {"record_name": True}}, "excluded apps' names are recorded"),
    ({"retention": {"raw_days": 31}}, "raw events kept 31 days"),
    ({"retention": {"derived_months": 24}}, "derived tables kept 24 months"),
])
def test_settings_that_record_more_need_consent_again(sections, said):
    assert any(said in reason for reason in _more(**sections))


@pytest.mark.parametrize("sections", [
    {"exclude": {"apps": ["signal"]}}, {"retention": {"raw_days": 7}},
    {"work_hours": {"days": {"mon-fri": "09:00-17:00"}}}, {"titles": {"redact": ["falcon"]}},
])
def test_settings_that_record_less_are_covered(sections):
    assert _more(**sections) == []


def test_wider_work_hours_record_more():
    narrow = consent_text.scope(settings.validate({"work_hours": {"days": {"mon-fri": "09:00-17:00"}}}))
    wide = consent_text.scope(settings.validate({"work_hours": {"days": {"mon-sat": "09:00-17:00"}}}))
    assert consent_text.records_more(narrow, wide) == ["wider work hours"]
    assert consent_text.records_more(wide, narrow) == []


def test_the_text_states_the_settings_and_the_schema_and_never_names_an_exclusion(db):
    chosen = settings.validate({"exclude": {"apps": ["tinder"]}, "titles": {"apps": ["code"]},
                                "retention": {"raw_days": 9, "derived_months": 3},
                                "work_hours": {"days": {"mon-fri": "08:00-16:00"}}})
    text = consent_text.generate(chosen, db)
    for said in ("raw events 9 days", "derived from them are kept 3 months", "apps matching code", "mon-fri 08:00-16:00",
                 "1 app pattern you listed", str(db)):
        assert said in text.replace("\n", " "), said
    assert "tinder" not in text and "tinder" not in consent_text.scope_json(chosen)
    for column in consent_text.stored_columns():  # every stored column is named
        assert column.split(".")[1] in text


def test_the_ledger_keeps_each_versions_exact_text_hash_and_who_accepted(db):
    paths = Paths(db)
    first = control.accept(paths)
    control.change_settings(paths, {"retention.raw_days": 7})
    second = control.accept(paths)
    control.withdraw(paths)
    con = store.open_read_only(db)
    kept = {v: store.text_version(con, v) for v in (first, second)}
    ledger = con.execute("SELECT action, text_version, account FROM consent_log ORDER BY seq").fetchall()
    con.close()
    assert (first, second) == (1, 2)  # a file that never had consent starts at 1
    assert kept[second]["text"] == control.consent_text(paths)
    assert kept[second]["sha256"] == consent_text.digest(kept[second]["text"])
    assert "raw events 7 days" in kept[second]["text"] and "raw events 30 days" in kept[first]["text"]
    assert [(a, v) for a, v, _ in ledger] == [("accept", "1"), ("accept", "2"), ("withdraw", "2")]
    assert all(account for *_, account in ledger)


def test_accepting_a_text_that_changed_since_it_was_read_is_refused(db):
    paths = Paths(db)
    read = control.consent_standing(paths)["sha256"]
    control.change_settings(paths, {"titles.apps": ["*"]})
    with pytest.raises(control.ControlError, match="changed since you read it"):
        control.accept(paths, read)
    assert not control.consent_standing(paths)["given"]


def _keys_since(db, since):
    return rows(db, "SELECT count(*) FROM events WHERE kind = 'key_down' AND ts > $since", {"since": since})[0][0]


def test_a_newer_unaccepted_version_holds_capture_until_accepted(consented):
    paths = Paths(consented)
    with DaemonProcess(consented, *REPLAY) as daemon:
        daemon.wait_for_rows("SELECT count(*) FROM events WHERE kind = 'key_down'", lambda r: r[0][0] > 0,
                             "typing to be stored")
        control.change_settings(paths, {"titles.apps": ["*"]})  # records more
        status = daemon.status()
        assert "consent" in status["holds"] and "window titles stored for: *" in status["holds"]["consent"]
        (t_held,), = daemon.wait_for_rows("SELECT max(ts) FROM events WHERE kind = 'pause'",
                                          lambda r: r[0][0] is not None, "the pause mark")
        time.sleep(1.5)
        assert daemon.read("SELECT count(*) FROM events WHERE kind = 'key_down' AND ts > $t", {"t": t_held})[0][0] == 0
        standing = control.consent_standing(paths)
        assert standing["given"] and not standing["covered"] and standing["version"] == 2
        control.accept(paths, standing["sha256"])
        assert daemon.status()["holds"] == {}
        daemon.wait_for_rows("SELECT count(*) FROM events WHERE kind = 'key_down' AND ts > $t",
                             lambda r: r[0][0] > 0, "typing after the accept", {"t": t_held})
        assert daemon.stop() == 0


def test_settings_changes_reach_the_running_daemon_within_two_seconds(consented):
    """Edited by hand (no push from the controller): the daemon's own watch must find it."""
    paths = Paths(consented)
    reached = []
    with DaemonProcess(consented, *REPLAY) as daemon:
        for key, value in (("exclude.apps", ["slack"]), ("retention.raw_days", 10),
                           ("work_hours.days", {"mon-sun": "00:00-24:00"}), ("titles.redact", ["falcon"])):
            *section, name = key.split(".")
            before = time.monotonic()
            settings.update(paths.settings, {key: value})
            deadline = before + 5
            while time.monotonic() < deadline:
                got = daemon.status()["settings"]
                if got[section[0]][name] == (list(value) if isinstance(value, list) else value):
                    break
                time.sleep(0.02)
            reached.append(time.monotonic() - before)
        assert daemon.status()["holds"] == {}
        assert daemon.stop() == 0
    print("settings reached the daemon after", ", ".join(f"{s:.2f} s" for s in reached))
    assert max(reached) < 2.0, reached


def test_an_excluded_app_gets_no_input_while_it_has_focus(consented):
    paths = Paths(consented)
    control.change_settings(paths, {"exclude.apps": ["slack"]})
    with DaemonProcess(consented, *REPLAY) as daemon:
        daemon.wait_for_rows("SELECT count(*) FROM events WHERE kind = 'focus' AND app = '(excluded app)'",
                             lambda r: r[0][0] >= 2, "two turns of the excluded app")
        assert daemon.stop() == 0
    events = rows(consented, "SELECT kind, app FROM events ORDER BY ts")
    excluded, inside = False, 0
    for kind, app in events:
        if kind == "focus":
            excluded = app == "(excluded app)"
        elif excluded and kind in ("key_down", "key_up", "mouse_down", "mouse_up", "scroll", "move"):
            inside += 1
    assert inside == 0
    assert rows(consented, "SELECT count(*) FROM events WHERE app ILIKE '%slack%'") == [(0,)]


def test_an_invalid_settings_file_holds_capture_and_a_fixed_one_resumes_it(consented):
    paths = Paths(consented)
    with DaemonProcess(consented, *REPLAY) as daemon:
        paths.settings.write_text("[exclude\n")
        daemon.wait_until(lambda s: "settings" in s["holds"], "the hold for the broken file")
        assert "is not valid TOML" in daemon.status()["settings_error"]
        paths.settings.unlink()
        daemon.wait_until(lambda s: s["holds"] == {}, "the hold to go")
        assert daemon.stop() == 0
    assert "nothing is recorded until it is fixed" in paths.log.read_text()


def test_an_invalid_settings_file_stops_capture_starting(consented):
    paths = Paths(consented)
    paths.settings.write_text("[retention]\nraw_days = 'x'\n")
    result = cli("run", "--db", str(consented), "--backend", "replay", check=False)
    assert result.returncode == 2 and "retention.raw_days" in result.stderr


def test_a_pause_for_a_while_is_kept_through_a_restart(consented):
    paths = Paths(consented)
    control.pause_until(paths, control.parse_duration("30m"))
    with DaemonProcess(consented, *REPLAY) as daemon:
        assert daemon.status()["holds"]["clock"].startswith("paused until")
        time.sleep(1)
        assert daemon.read("SELECT count(*) FROM events WHERE kind = 'key_down'")[0][0] == 0
        assert cli("resume", "--db", str(consented)).returncode == 0
        daemon.wait_for_rows("SELECT count(*) FROM events WHERE kind = 'key_down'", lambda r: r[0][0] > 0,
                             "typing after the resume")
        assert daemon.stop() == 0
    marks = "SELECT kind FROM events WHERE kind IN ('start', 'pause', 'resume', 'stop') ORDER BY ts"
    kinds = [k for (k,) in rows(consented, marks)]
    assert kinds == ["start", "pause", "resume", "stop"]
    assert json.loads(json.dumps(control.load_settings(paths).pause.model_dump(mode="json"))) == {"until": None}


def test_consent_given_before_versions_counts_as_version_1_and_the_new_columns_need_it_again(db, old_database):
    """A worker upgrading from schema 4 consented to the fixed text of then:
    it stays version 1, and since key_counts is new, capture waits for a new yes."""
    import duckdb

    con = duckdb.connect(str(old_database(db, 4)))
    con.execute("INSERT INTO consent_log VALUES (now(), 'accept', '1', 'local', 1)")
    con.close()
    paths = Paths(db)
    control.upgrade(paths)
    standing = control.consent_standing(paths)
    assert standing["given"] and standing["accepted_version"] == 1 and not standing["covered"]
    assert standing["more"] == ["new stored columns: key_counts.worker, key_counts.minute, key_counts.utc_offset, "
                                "key_counts.key_class, key_counts.presses, key_counts.batch_id, steps.worker, "
                                "steps.session_start, steps.step, steps.start, steps.stop, steps.utc_offset, steps.app"]
    con = store.open_read_only(db)
    legacy = store.text_version(con, 1)
    con.close()
    assert legacy["text"] == schema.LEGACY_CONSENT_TEXT
    control.accept(paths)
    assert control.consent_standing(paths)["covered"]
