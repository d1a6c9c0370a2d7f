"""The engine-neutral Parquet dataset (team/dataset.py) both engines read."""

from __future__ import annotations

import stat

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from team import dataset


def _part(values, type_=pa.int32()):
    return pa.table({"n": pa.array(values, type_)})


def test_a_failed_write_leaves_the_old_table_whole(tmp_path):
    """A table rewritten from parts of different schemas would leave Spark and DuckDB reading half of it."""
    dataset.write_table(tmp_path, "days", [_part([1, 2]), _part([3])])
    with pytest.raises(ValueError, match="table 'days': part 1 has schema"):
        dataset.write_table(tmp_path, "days", [_part([9]), _part(["x"], pa.string())])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["days"]
    assert sorted(p.name for p in (tmp_path / "days").iterdir()) == ["part-00000.parquet", "part-00001.parquet"]
    assert pa.concat_tables(pq.read_table(p) for p in sorted((tmp_path / "days").iterdir()))["n"].to_pylist() \
        == [1, 2, 3]


def test_tables_are_owner_only_and_named_safely(tmp_path):
    """Another user on the server could read the releases; a table named '../x' would be written elsewhere."""
    folder = dataset.write_table(tmp_path / "ds", "days", [_part([1])])
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in folder.iterdir())
    assert dataset.tables(tmp_path / "ds") == {"days": folder}
    with pytest.raises(ValueError, match="is not a table name"):
        dataset.write_table(tmp_path / "ds", "../x", [_part([1])])
    with pytest.raises(FileNotFoundError, match="is not a dataset folder"):
        dataset.tables(tmp_path / "missing")
