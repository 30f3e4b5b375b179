"""Splitting fares between operators: whole units, largest remainder, parts add up exactly."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from shahr.demo import JOURNEYS, journey_taps
from shahr.fares.apportion import apportion, operator_shares
from shahr.fares.engine import FareEngine
from shahr.fares.load import load_policy
from shahr.network import load_network
from tests.test_demo import FEED


def test_largest_remainder_by_hand() -> None:
    # 1,650 split 1,500 : 1,550 (standalone bases). 1650 x 1500 / 3050 = 811.47 -> 811, remainder
    # 1,650 x 1,500 mod 3,050 = 1,450; 1650 x 1550 / 3050 = 838.52 -> 838, remainder 1,600.
    # 811 + 838 = 1,649: the 1 left goes to the larger remainder (leg 2): 811 and 839.
    shares = apportion(np.array([1650]), np.array([0, 0]), np.array([1500, 1550]))
    assert shares.tolist() == [811, 839]


def test_ties_go_to_the_earlier_leg_and_zero_weights_split_equally() -> None:
    # 100 split three equal ways: 33 each and 1 left; all remainders tie: the first leg gets it.
    assert apportion(np.array([100]), np.array([0, 0, 0]), np.array([5, 5, 5])).tolist() == [34, 33, 33]
    assert apportion(np.array([101]), np.array([0, 0]), np.array([0, 0])).tolist() == [51, 50]


def test_several_journeys_at_once() -> None:
    # Journey 0: 20,000 by km 3:1 -> 15,000 / 5,000. Journey 1: 7 alone -> 7.
    shares = apportion(np.array([20000, 7]), np.array([0, 0, 1]), np.array([3000, 1000, 9]))
    assert shares.tolist() == [15000, 5000, 7]


@given(
    st.lists(
        st.tuples(st.integers(0, 10_000_000), st.lists(st.integers(0, 1_000_000), min_size=1, max_size=6)),
        min_size=1,
        max_size=20,
    )
)
def test_parts_add_up_and_stay_within_one_of_proportional(journeys: list[tuple[int, list[int]]]) -> None:
    fares = np.array([f for f, _ in journeys], dtype=np.int64)
    index = np.array([j for j, (_, ws) in enumerate(journeys) for _ in ws], dtype=np.int64)
    weights = np.array([w for _, ws in journeys for w in ws], dtype=np.int64)
    shares = apportion(fares, index, weights)
    assert (shares >= 0).all()
    assert (
        np.bincount(index, weights=shares, minlength=len(fares)).astype(np.int64).tolist() == fares.tolist()
    )
    for j, (fare, ws) in enumerate(journeys):
        total = sum(ws)
        for share, w in zip(shares[index == j], ws, strict=True):
            exact = fare * w / total if total else fare / len(ws)
            assert abs(share - exact) < 1


def test_operator_shares_of_a_journey_on_the_demo_feed() -> None:
    # mashhad-distance splits by km: feeder F03 (MBUS) Golshahr -> Tabarsi, then metro (MURC) Tabarsi ->
    # Shariati, 24,000 in all. MBUS gets floor(24,000 x d1 / (d1 + d2)) (+1 if its remainder is larger).
    policy = load_policy("mashhad-distance")
    demo = next(j for j in JOURNEYS if j.title == "Feeder to metro")
    rating = FareEngine(policy, load_network(FEED)).rate(journey_taps(demo))
    journey = rating.journeys[0]
    d1, d2 = (leg.distance.metres for leg in journey.legs)
    shares = operator_shares(policy, journey)
    assert journey.fare_minor == 24000
    assert set(shares) == {"MBUS", "MURC"}
    assert sum(shares.values()) == 24000
    assert shares["MBUS"] in (24000 * d1 // (d1 + d2), 24000 * d1 // (d1 + d2) + 1)
