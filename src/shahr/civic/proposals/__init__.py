"""Proposals, Democracy Seoul style: a resident proposes, verified persons support (one person, one
support), enough supports open a public debate, enough participants oblige the city to answer in public
within a deadline; proposals that never reach the first threshold expire.

    tables.py      proposals, supports, participants, comments, moderation flags
    workflow.py    the commands: propose, support, comment, answer, expire
    queries.py     what the public sees: lists, one proposal, comments, overdue answers
    moderation.py  screening, flags from residents, the moderators' queue and decisions
    schemas.py     the JSON API's shapes
    errors.py      what the commands refuse
"""
