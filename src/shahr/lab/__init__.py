"""The policy lab: what a fare change does to riders, revenue and ridership before it is made."""
