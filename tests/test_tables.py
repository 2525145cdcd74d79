"""CSV/TSV tables → arrays (app.engine.tables), and the bad cells they name."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.engine.tables import TableError, parse_table

LIMITS: dict[str, Any] = {"max_rows": 5, "max_columns": 3}


def test_header_labels_and_target_guess() -> None:
    t = parse_table("a,b,species\n1,2,setosa\n3,4.5,virginica\n5,6,setosa\n", **LIMITS)
    assert t.columns == ["a", "b"] and t.target == "species"
    assert t.kind == "classification" and t.classes == ["setosa", "virginica"]
    np.testing.assert_array_equal(t.x, [[1, 2], [3, 4.5], [5, 6]])
    np.testing.assert_array_equal(t.y, [[0], [1], [0]])  # two classes: one 0/1 column


def test_no_header_tsv_numbers_as_classes_three_is_one_hot() -> None:
    t = parse_table("1\t2\t0\n3\t4\t2\n5\t6\t1\n", **LIMITS)
    assert t.columns == ["x1", "x2"] and t.classes == ["0", "1", "2"]
    np.testing.assert_array_equal(t.y, [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    np.testing.assert_array_equal(t.labels, [0, 2, 1])


def test_chosen_target_column_and_regression() -> None:
    t = parse_table("y,x\n0.5,1\n-0.25,2\n", target="y", **LIMITS)
    assert t.kind == "regression" and t.columns == ["x"] and t.classes == []
    np.testing.assert_array_equal(t.y, [[0.5], [-0.25]])
    by_index = parse_table("y,x\n0.5,1\n-0.25,2\n", target=0, **LIMITS)
    np.testing.assert_array_equal(by_index.x, t.x)


@pytest.mark.parametrize(
    ("text", "options", "message"),
    [
        ("a,b,c\n1,2,0\n1,x,1\n", {}, "row 3, column 'b': 'x' is not a number"),
        ("a,b,c\n1,,0\n", {}, "row 2, column 'b': missing value"),
        ("1,NaN,0\n", {}, "row 1, column 'x2': missing value"),
        ("a,b,c\n1,2,\n", {}, "row 2, column 'c': missing value"),
        ("a,b,c\n1,2\n", {}, "row 2, column 'c': has 2 cells but the first row has 3"),
        ("a,b,c\n" + "1,2,0\n" * 6, {}, "row 7: 6 data rows is more than the limit of 5"),
        ("a,b,c,d,e\n1,2,3,4,0\n", {}, "row 1, column 'e': 4 feature columns is more than"),
        ("1,inf,0\n", {}, "row 1, column 'x2': 'inf' is not a number"),
        ("", {}, "the table is empty"),
        ("a,b\n", {}, "has a header but no data rows"),
        ("a\n1\n", {}, "needs at least two columns"),
        ("a,b\n1,0\n", {"target": "z"}, "no column named 'z'; the columns are a, b"),
        ("a,b\n1,0\n", {"target": 5}, "target column 5 does not exist"),
    ],
)
def test_bad_tables_name_the_first_bad_cell(text: str, options: dict, message: str) -> None:
    with pytest.raises(TableError) as err:
        parse_table(text, **options, **LIMITS)
    assert message in str(err.value)
    assert err.value.loc == "table"
