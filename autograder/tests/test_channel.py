"""autograder/channel.py: what one end encodes, the other decodes to the same thing."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from autograder import channel

arrays = st.builds(
    lambda shape, seed, dtype: np.random.default_rng(seed).standard_normal(shape).astype(dtype),
    st.lists(st.integers(1, 3), max_size=3).map(tuple),
    st.integers(0, 2**32 - 1),
    st.sampled_from([np.float64, np.float32]),
)
leaves = arrays | st.floats(-1e6, 1e6) | st.integers(-1000, 1000) | st.none()
values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(st.text("abc", min_size=1, max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)


def same(a, b, float64=False):
    if isinstance(a, np.ndarray | float | int) and not isinstance(a, bool):
        expected = np.asarray(a, dtype=np.float64) if float64 else np.asarray(a)
        return np.array_equal(np.asarray(b), expected) and (not float64 or np.asarray(b).dtype == np.float64)
    if isinstance(a, tuple | list):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y, float64) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], float64) for k in a)
    return a == b


@given(values)
def test_an_argument_arrives_as_sent(value):
    sent: dict = {}
    encoded = channel.encode_argument(value, sent, lambda part: None)
    assert same(value, channel.decode_argument(encoded, sent, kept=[], load=None))


@given(values)
def test_a_result_comes_back_as_float64_with_where_each_part_is_kept(value):
    sent: dict = {}
    encoded = channel.encode_result(value, sent)
    places = []

    def adopt(kind, part, where):
        places.append(where)
        return part

    assert same(value, channel.decode_result(encoded, sent, 7, adopt), float64=True)
    assert all(handle == 7 for handle, _ in places)


def test_a_part_of_a_kept_value_goes_back_by_reference():
    kept = [({"c": np.arange(3.0)}, "opaque")]
    part = channel.decode_argument({channel.PART: [0, [0, "c"]]}, {}, kept, load=None)
    assert part is kept[0][0]["c"]


def test_what_is_not_numbers_comes_back_opaque():
    encoded = channel.encode_result(object(), {})
    assert channel.decode_result(encoded, {}, 0, lambda kind, part, where: kind) == "opaque"
