"""The bundled datasets are the published ones: counts, shapes, value ranges, class balance."""

from __future__ import annotations

import numpy as np

from app.engine.bundled import BUNDLED, load_bundled


def test_iris_is_fishers_150_flowers_50_per_species() -> None:
    t = load_bundled("iris")
    assert t.x.shape == (150, 4) and t.y.shape == (150, 3)
    assert t.classes == ["setosa", "versicolor", "virginica"]
    np.testing.assert_array_equal(np.bincount(t.labels), [50, 50, 50])
    np.testing.assert_allclose(t.x[0], [5.1, 3.5, 1.4, 0.2])  # the first flower in every copy
    np.testing.assert_allclose(t.x.mean(axis=0), [5.843333, 3.057333, 3.758, 1.199333], atol=1e-5)


def test_digits_are_the_uci_optical_digits_1797_images() -> None:
    t = load_bundled("digits")
    assert t.x.shape == (1797, 64) and t.y.shape == (1797, 10)
    published = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    np.testing.assert_array_equal(np.bincount(t.labels), published)
    assert t.x.min() == 0 and t.x.max() == 16 and np.all(t.x == np.round(t.x))
    np.testing.assert_array_equal(t.y.argmax(axis=1), t.labels)
    assert BUNDLED["digits"].image == (8, 8) and BUNDLED["digits"].n_samples == 1797
