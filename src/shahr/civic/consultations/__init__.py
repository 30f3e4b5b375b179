"""Fare consultations: a comparison of fare policies (`shahr lab compare`) published as a proposal of the
proposals module, so residents support and comment on it and the city answers it under the same
thresholds, moderation and audit log; and each card holder's own last 30 days of journeys priced under
the proposal and under the reference policy by the fare engine.

    tables.py      civic_consultations: the proposal, both policies' TOML, the figures (migration 0009)
    workflow.py    publish: validate the policies and figures, create the proposal, record it
    queries.py     what the public reads: the list, one consultation, its policies parsed
    rider.py       a card's journeys of the last 30 service days under both policies, and what it paid
    schemas.py     the JSON API's shapes
    errors.py      what publication and the rider's figures refuse
"""
