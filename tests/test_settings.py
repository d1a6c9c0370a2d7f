"""The settings file and the policy it makes: validation, redaction, exclusions, work hours."""

import datetime as dt
import os
import stat
import subprocess
import sys
import time

import pytest

from capture import control, settings
from capture.policy import PASSWORD_PROMPTS, Policy, redact
from store.paths import Paths
from testkit import ROOT

UTC = dt.timezone.utc


# --- validation ------------------------------------------------------------------
HOSTILE = {
    "not TOML": (b"[exclude\napps = [", "is not valid TOML"),
    "not UTF-8": (b"\xff\xfe[titles]", "is not UTF-8"),
    "too big": (b"#" * (settings.MAX_BYTES + 10), "is over"),
    "unknown section": (b"[telemetry]\nendpoint = 'http://x'", "unknown key 'telemetry'; allowed here: the sections"),
    "unknown key": (b"[exclude]\napp = ['x']", "unknown key 'exclude.app'; allowed here: a table with the keys apps"),
    "a string for a list": (b"[exclude]\napps = 'keepassxc'", "exclude.apps: Input should be a list"),
    "a string for a bool": (b"[exclude]\npassword_prompts = 'no'", "exclude.password_prompts: Input should be a valid boolean"),
    "text for days": (b"[retention]\nraw_days = 'thirty'", "retention.raw_days: Input should be a valid integer"),
    "retention of zero": (b"[retention]\nraw_days = 0", "allowed: a whole number of days from 1 to 3650"),
    "retention forever": (b"[retention]\nderived_months = 100000", "allowed: a whole number of months from 1 to 120"),
    "a bad regular expression": (b"[titles]\nredact = ['(unclosed']", "'(unclosed' is not a regular expression"),
    "a made-up zone": (b"[work_hours]\ntimezone = 'Mars/Olympus'", "'Mars/Olympus' is not a time zone"),
    "a misspelt day": (b"[work_hours.days]\nmon-fry = '09:00-17:00'", "'mon-fry' is not a day"),
    "a reversed range": (b"[work_hours.days]\nmon = '17:00-09:00'", "ends before it starts"),
    "not a time": (b"[work_hours.days]\nmon = '9 to 5'", "'9 to 5' is not a time range"),
    "a pause without offset": (b"[pause]\nuntil = 2026-12-01T17:30:00", "give a time with its offset"),
    "too many patterns": (b"[exclude]\napps = [" + b", ".join([b"'a'"] * 201) + b"]", "exclude.apps"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_bad_settings_file_is_refused_naming_the_key_and_what_is_allowed(tmp_path, name):
    content, said = HOSTILE[name]
    path = tmp_path / "workprint.toml"
    path.write_bytes(content)
    with pytest.raises(settings.SettingsError) as caught:
        settings.load(path)
    assert said in str(caught.value)
    assert path.read_bytes() == content


def test_a_settings_file_others_can_change_is_refused(tmp_path):
    path = tmp_path / "workprint.toml"
    path.write_text("[retention]\nraw_days = 7\n")
    path.chmod(0o666)
    with pytest.raises(settings.SettingsError, match="can be changed by another user; make it yours alone: chmod 600"):
        settings.load(path)
    path.chmod(0o644)  # others may read it (it says nothing captured), not write it
    assert settings.load(path).retention.raw_days == 7


def test_no_file_means_the_defaults_and_the_defaults_record_least():
    assert settings.load(ROOT / "no-such-settings.toml") == settings.Settings()
    policy = Policy(settings.Settings())
    assert not policy.titles_for("firefox") and policy.excluded("pinentry-gnome3")
    assert settings.Settings().retention.raw_days == 30 and settings.Settings().retention.derived_months == 12


def test_a_change_keeps_the_files_comments_is_owner_only_and_a_bad_one_writes_nothing(tmp_path):
    path = tmp_path / "workprint.toml"
    code = ("import os, sys, pathlib; os.umask(0); from capture import settings; "
            "settings.update(pathlib.Path(sys.argv[1]), {'exclude.apps': ['keepassxc'], 'retention.raw_days': 7})")
    subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, check=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # under umask 000
    text = path.read_text()
    assert "# While one of these apps has focus, no input at all is recorded." in text
    assert settings.load(path).exclude.apps == ("keepassxc",) and settings.load(path).retention.raw_days == 7
    with pytest.raises(settings.SettingsError, match="retention.raw_days"):
        settings.update(path, {"retention.raw_days": -1, "exclude.apps": []})
    assert path.read_text() == text
    assert [p.name for p in tmp_path.iterdir()] == ["workprint.toml"]  # no temp file left behind


def test_the_cli_sets_adds_and_removes_settings_and_refuses_bad_ones(db):
    def settings_cli(*args):
        return subprocess.run([sys.executable, "-m", "capture", "settings", *args, "--db", str(db)], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)

    assert settings_cli("add", "exclude.apps", "signal").returncode == 0
    assert settings_cli("add", "exclude.apps", "keepassxc").returncode == 0
    assert settings_cli("remove", "exclude.apps", "signal").returncode == 0
    assert settings_cli("set", "work_hours.days.mon-fri", "09:00-17:30").returncode == 0
    bad = settings_cli("set", "retention.raw_days", "forever")
    assert bad.returncode == 2
    assert "retention.raw_days" in bad.stderr and "a whole number of days from 1 to 3650" in bad.stderr
    shown = settings_cli("show").stdout
    assert 'apps = ["keepassxc"]' in shown and 'mon-fri = "09:00-17:30"' in shown and "raw_days = 30" in shown


# --- redaction: a pure function ---------------------------------------------------
@pytest.mark.parametrize("title, own, stored", [
    ("Inbox - ann.lee+work@mail.example.co.uk - Thunderbird", (), "Inbox - [email] - Thunderbird"),
    ("https://bank.example.com/accounts/7781?session=abc#top - Firefox", (),
     "https://bank.example.com/[path] - Firefox"),
    ("github.com/acme/secret-repo/pull/12 - Chromium", (), "github.com/[path] - Chromium"),
    ("Viewer - ?token=s3cr3t&page=2", (), "Viewer - ?[query]"),
    ("Call +49 170 1234567 now", (), "Call +[number] now"),
    ("IBAN DE89 3704 0044 0532 0130 00", (), "IBAN DE[number]"),
    ("Page 3 of 12", (), "Page 3 of 12"),  # short numbers stay
    ("Project Falcon - budget.xlsx", (r"project \w+",), "[redacted] - budget.xlsx"),
    ("Code - main.py", (), "Code - main.py"),
    (None, (), None),
])
def test_redaction(title, own, stored):
    assert redact(title, own) == stored


def test_redaction_bounds_what_it_reads():
    assert len(redact("a" * 100_000)) == 1000


# --- exclusions ----------------------------------------------------------------------
def test_exclusions_match_class_or_instance_in_any_case_and_include_password_prompts():
    policy = Policy(settings.validate({"exclude": {"apps": ["bank*", "Signal"]}}))
    assert policy.excluded("Banking-App") and policy.excluded(None, "signal") and not policy.excluded("Code")
    for prompt in ("pinentry-gtk-2", "ssh-askpass", "KeePassXC", "Gcr-prompter", "i3lock", "polkit-gnome-authentication-agent-1"):
        assert policy.excluded(prompt), prompt
    assert not Policy(settings.validate({"exclude": {"password_prompts": False}})).excluded("pinentry")
    assert "pinentry*" in PASSWORD_PROMPTS


# --- work hours, in wall-clock time across DST changes ----------------------------------
def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize("instant, inside", [
    # Europe/Berlin leaves CET (+01) for CEST (+02) on Sunday 2026-03-29 at 02:00.
    ("2026-03-27T08:30:00+00:00", True),   # Fri 09:30 CET
    ("2026-03-27T07:30:00+00:00", False),  # Fri 08:30 CET
    ("2026-03-30T07:30:00+00:00", True),   # Mon 09:30 CEST: the same UTC time as above is now inside
    ("2026-03-30T15:30:00+00:00", False),  # Mon 17:30 CEST
    ("2026-03-30T15:29:00+00:00", True),   # Mon 17:29 CEST
    # ...and back to CET on Sunday 2026-10-25 at 03:00.
    ("2026-10-23T15:45:00+00:00", False),  # Fri 17:45 CEST
    ("2026-10-26T15:45:00+00:00", True),   # Mon 16:45 CET: the same UTC time, inside again
    ("2026-03-28T10:00:00+00:00", False),  # a Saturday
])
def test_work_hours_follow_the_wall_clock_across_dst(instant, inside):
    policy = Policy(settings.validate({"work_hours": {"timezone": "Europe/Berlin",
                                                      "days": {"mon-fri": "09:00-17:30"}}}))
    assert policy.in_work_hours(_at(instant)) is inside


def test_local_work_hours_use_this_computers_zone_across_dst(monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")  # EST to EDT on 2026-03-08
    time.tzset()
    try:
        policy = Policy(settings.validate({"work_hours": {"days": {"sun": "01:00-04:00"}}}))
        assert policy.in_work_hours(_at("2026-03-08T06:30:00+00:00"))      # 01:30 EST
        assert policy.in_work_hours(_at("2026-03-08T07:30:00+00:00"))      # 03:30 EDT (02:xx never happened)
        assert not policy.in_work_hours(_at("2026-03-08T08:30:00+00:00"))  # 04:30 EDT
        assert policy.next_change(_at("2026-03-08T07:30:00+00:00")) == _at("2026-03-08T08:00:00+00:00")
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_a_pause_for_a_while_holds_until_then():
    until = _at("2026-12-01T17:30:00+01:00")
    policy = Policy(settings.validate({"pause": {"until": until}}))
    assert policy.why_not_recording(until - dt.timedelta(seconds=1)).startswith("paused until")
    assert policy.why_not_recording(until) is None
    assert policy.next_change(until - dt.timedelta(minutes=5)) == until


@pytest.mark.parametrize("text, minutes", [("30m", 30), ("2h", 120), ("1h30m", 90), ("1d", 1440), ("45 min", 45)])
def test_pause_durations(text, minutes):
    now = _at("2026-12-01T12:00:00+00:00")
    assert control.parse_duration(text, now) - now == dt.timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["", "soon", "0m", "400d", "-5m"])
def test_pause_durations_that_mean_nothing_are_refused(text):
    with pytest.raises(ValueError, match="duration|minute to a year"):
        control.parse_duration(text)


def test_pause_until_tomorrow_is_local_midnight(monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        assert control.parse_when("tomorrow", _at("2026-03-28T22:30:00+00:00")) == _at("2026-03-29T00:00:00+01:00")
        assert control.parse_when("17:30", _at("2026-12-01T17:00:00+00:00")) == _at("2026-12-02T17:30:00+01:00")
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_paths_put_the_settings_beside_the_database(tmp_path):
    assert Paths(tmp_path / "workprint.duckdb").settings == tmp_path / "workprint.toml"
    assert os.path.basename(Paths(tmp_path / "x").settings) == "x.toml"
