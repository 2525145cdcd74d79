"""Own data through the API: CSV/TSV or JSON tables, bundled datasets, drawing from zero points."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

Json = dict[str, Any]

IRIS_LIKE = "a,b,species\n1,2,setosa\n3,4,virginica\n5,6,setosa\n7,8,versicolor\n9,1,virginica\n"


def _post_csv(client: TestClient, text: str, **params: Any) -> Any:
    return client.post("/api/tables", content=text, params=params,
                       headers={"content-type": "text/csv"})  # fmt: skip


def test_csv_body_becomes_a_custom_dataset_that_creates_a_session(client: TestClient) -> None:
    r = _post_csv(client, IRIS_LIKE, test_fraction=0.2, seed=1)
    assert r.status_code == 200, r.text
    t = r.json()
    assert t["columns"] == ["a", "b"] and t["target"] == "species" and t["n_rows"] == 5
    assert t["classes"] == ["setosa", "versicolor", "virginica"]
    assert t["preview"][0] == [1.0, 2.0, "setosa"]
    ds = t["dataset"]
    assert len(ds["x"]) == 4 and len(ds["test_x"]) == 1 and len(ds["y"][0]) == 3
    net = {"layers": [2, 4, 3], "activations": ["tanh", "softmax"], "loss": "cross_entropy"}
    created = client.post("/api/networks", json={"network": net, "dataset": ds})
    assert created.status_code == 201, created.text
    assert created.json()["dataset"]["n_train"] == 4


def test_json_table_with_chosen_target_and_tsv(client: TestClient) -> None:
    rows = [["y", "x"], [0.5, 1], [-0.5, 2], [0.25, 3]]
    r = client.post("/api/tables", json={"rows": rows, "target": "y"}, params={"test_fraction": 0})
    assert r.status_code == 200, r.text
    assert r.json()["kind"] == "regression"
    assert sorted(r.json()["dataset"]["x"]) == [[1.0], [2.0], [3.0]]  # shuffled, none for test
    tsv = client.post("/api/tables", content="1\t2\t0\n3\t4\t1\n",
                      headers={"content-type": "text/tab-separated-values"})  # fmt: skip
    assert tsv.status_code == 200 and tsv.json()["columns"] == ["x1", "x2"]


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("a,b,c\n1,2,0\n1,x,1\n", "table: row 3, column 'b': 'x' is not a number"),
        ("a,b,c\n1,,0\n", "table: row 2, column 'b': missing value"),
        ("a,b,c\n" + "1,2,0\n" * 2001, "table: row 2002: 2001 data rows is more than the limit"),
        (
            ",".join(f"c{i}" for i in range(66)) + "\n" + ",".join("1" * 66) + "\n",
            "table: row 1, column 'c65': 65 feature columns is more than the limit of 64",
        ),
    ],
)
def test_bad_cells_are_422_naming_row_and_column(
    client: TestClient, text: str, detail: str
) -> None:
    r = _post_csv(client, text)
    assert r.status_code == 422
    assert r.json()["detail"].startswith(detail), r.json()["detail"]


def test_other_content_types_are_refused(client: TestClient) -> None:
    r = client.post("/api/tables", content=b"x", headers={"content-type": "image/png"})
    assert r.status_code == 415


def test_bundled_iris_and_digits(client: TestClient) -> None:
    iris = client.get("/api/tables/iris", params={"test_fraction": 0.2}).json()
    assert iris["n_rows"] == 150 and len(iris["dataset"]["x"]) == 120
    assert iris["classes"] == ["setosa", "versicolor", "virginica"] and iris["image"] is None
    digits = client.get("/api/tables/digits").json()
    assert digits["image"] == [8, 8] and len(digits["dataset"]["x"][0]) == 64
    assert len(digits["dataset"]["x"]) + len(digits["dataset"]["test_x"]) == 1797
    names = [b["name"] for b in client.get("/api/catalog").json()["bundled"]]
    assert names == ["iris", "digits"]


def test_drawing_from_zero_points(client: TestClient, create: Callable[[Json], Json]) -> None:
    net = {"layers": [2, 3, 1], "activations": ["tanh", "sigmoid"], "loss": "bce"}
    empty = {"x": [], "y": [], "kind": "classification", "name": "drawn"}
    s = create({"network": net, "dataset": empty})
    assert s["dataset"]["n_train"] == 0 and s["metrics"] is None
    assert s["dataset"]["domain"] == [[-6.0, 6.0], [-6.0, 6.0]]
    step = client.post(f"/api/networks/{s['id']}/step", json={"steps": 1})
    assert step.status_code == 422
    why = "add at least 1 training point to train (the training set is empty)"
    assert why in step.json()["detail"]
    reset = client.post(f"/api/networks/{s['id']}/reset")
    assert reset.status_code == 200 and reset.json()["metrics"] is None
    for x, y in (([1.0, 1.0], [1.0]), ([-1.0, -1.0], [0.0])):
        r = client.post(f"/api/networks/{s['id']}/points", json={"x": x, "y": y})
        assert r.status_code == 200, r.text
    assert client.post(f"/api/networks/{s['id']}/step", json={"steps": 3}).status_code == 200
    assert client.get(f"/api/networks/{s['id']}").json()["dataset"]["domain"] == [[-6, 6], [-6, 6]]
    r = client.delete(f"/api/networks/{s['id']}/points/train/0")
    assert r.status_code == 200 and r.json()["dataset"]["n_train"] == 1


def test_removing_the_last_point_leaves_an_empty_set_that_says_add_points_first(
    client: TestClient, create: Callable[[Json], Json]
) -> None:
    net = {"layers": [2, 3, 1], "activations": ["tanh", "sigmoid"], "loss": "bce"}
    s = create({"network": net, "dataset": {"x": [[1, 2]], "y": [[1]], "name": "drawn"}})
    url = f"/api/networks/{s['id']}"
    r = client.delete(f"{url}/points/train/0")
    assert r.status_code == 200, r.text
    assert r.json()["dataset"]["n_train"] == 0 and r.json()["dataset"]["x"] == []
    calls = [
        ("post", "/step", {"steps": 1}, "add at least 1 training point to train"),
        ("post", "/forward", {"indices": [0]}, "the train set is empty: add points first"),
        ("post", "/backward", {}, "the train set is empty: add points first"),
        ("post", "/gradcheck", {}, "the train set is empty: add points first"),
        ("post", "/paths", {"layer": 1, "row": 0, "column": 0}, "add points first"),
    ]
    for method, path, body, why in calls:
        answer = getattr(client, method)(url + path, json=body)
        assert answer.status_code == 422, (path, answer.text)
        assert why in answer.json()["detail"], path
    assert client.get(f"{url}/boundary").status_code == 200  # the output still has a plane
    assert client.delete(f"{url}/points/train/0").status_code == 422  # nothing left to remove
    assert client.post(f"{url}/points", json={"x": [0.5, 0.5], "y": [0]}).status_code == 200
    assert client.post(f"{url}/step", json={"steps": 2}).json()["step"] == 2


def test_digits_pixels_are_scaled_to_0_1_and_train_to_a_sensible_accuracy(
    client: TestClient, create: Callable[[Json], Json]
) -> None:
    digits = client.get("/api/tables/digits", params={"seed": 0}).json()
    x = np.asarray(digits["dataset"]["x"] + digits["dataset"]["test_x"])
    assert x.min() == 0.0 and x.max() == 1.0
    assert np.allclose(x * 16, np.round(x * 16))  # the published counts 0–16, divided by 16
    net = {"layers": [64, 16, 10], "activations": ["relu", "softmax"], "loss": "cross_entropy",
           "init": "he", "seed": 0}  # fmt: skip
    training = {"optimizer": "adam", "learning_rate": 0.01, "batch_size": 32}
    s = create({"network": net, "dataset": digits["dataset"], "training": training})
    r = client.post(f"/api/networks/{s['id']}/step", json={"steps": 450})  # 10 epochs
    assert r.status_code == 200, r.text
    metrics = client.get(f"/api/networks/{s['id']}").json()["metrics"]
    assert metrics["test_accuracy"] >= 0.9, metrics


def test_boundary_over_two_chosen_features_holds_the_others_at_their_mean(
    client: TestClient, create: Callable[[Json], Json]
) -> None:
    iris = client.get("/api/tables/iris", params={"seed": 0}).json()["dataset"]
    net = {"layers": [4, 5, 3], "activations": ["tanh", "softmax"], "loss": "cross_entropy"}
    s = create({"network": net, "dataset": iris})
    url = f"/api/networks/{s['id']}"
    r = client.get(f"{url}/boundary", params={"resolution": 5, "plane_x": 3, "plane_y": 1})
    assert r.status_code == 200, r.text
    b = r.json()
    mean = np.asarray(iris["x"]).mean(axis=0)
    assert b["dims"] == 2 and b["plane"] == [3, 1] and len(b["output"]) == 25
    np.testing.assert_allclose(b["held"], mean)
    domain = client.get(url).json()["dataset"]["domain"]
    assert b["domain"] == [domain[3], domain[1]]
    # the top-left cell: feature 3 at its smallest, feature 1 at its largest, 0 and 2 held
    x = mean.copy()
    x[3], x[1] = domain[3][0], domain[1][1]
    out = client.post(f"{url}/forward", json={"x": [x.tolist()]}).json()["output"][0]
    assert b["output"][0] == pytest.approx(out[0])
    default = client.get(f"{url}/boundary", params={"resolution": 3}).json()
    assert default["plane"] == [0, 1]
    for params, where in (
        ({"plane_x": 4}, "plane_x: feature 4 is out of range: the inputs have 4 features"),
        ({"plane_x": 2, "plane_y": 2}, "plane_y: choose a feature other than the horizontal"),
    ):
        bad = client.get(f"{url}/boundary", params=params)
        assert bad.status_code == 422 and where in bad.json()["detail"]
