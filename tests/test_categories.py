"""Category rules: the worker's own regular expressions decide where app time goes."""

import queries
import store
from testkit import DaemonProcess, cli


def test_a_new_rule_moves_app_time_to_its_category(writable_day_db):
    db = writable_day_db
    assert dict(queries.run("category_time", db=db).select("category", "seconds").rows())["Web"] == 7.0
    out = cli("categories", "--db", str(db), "--add", "firefox", "Research", "--priority", "1").stdout
    assert "Research" in out.splitlines()[1]
    assert dict(queries.run("category_time", db=db).select("category", "seconds").rows())["Research"] == 7.0
    cli("categories", "--db", str(db), "--remove", "firefox")
    assert "Research" not in queries.run("category_time", db=db)["category"].to_list()


def test_bad_rules_are_refused_with_the_reason(db):
    store.open_writable(db).close()
    bad = cli("categories", "--db", str(db), "--add", "(unclosed", "X", check=False)
    assert bad.returncode == 2 and "not a valid regular expression" in bad.stderr
    missing = cli("categories", "--db", str(db), "--remove", "nothing-like-this", check=False)
    assert missing.returncode == 2 and "no category rule" in missing.stderr


def test_rules_can_be_edited_while_capture_runs(consented):
    """The daemon holds the file, so it makes the change for the command."""
    with DaemonProcess(consented, "--backend", "replay"):
        out = cli("categories", "--db", str(consented), "--add", "blender", "Design").stdout
        assert "blender" in out
    rules = store.open_read_only(consented).execute("SELECT category FROM category_rules WHERE pattern='blender'")
    assert rules.fetchall() == [("Design",)]


def test_listing_the_rules_only_reads(db):
    """Looking at the rules must not create a database, nor set a damaged one aside."""
    missing = cli("categories", "--db", str(db), check=False)
    assert missing.returncode == 2 and "no database at" in missing.stderr and not db.exists()
    db.write_bytes(b"not a database" * 100)
    damaged = cli("categories", "--db", str(db), check=False)
    assert damaged.returncode == 2 and db.read_bytes().startswith(b"not a database")
    assert not list(db.parent.glob("*.corrupt-*"))
