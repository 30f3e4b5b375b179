"""One small module per fare rule family, each separately tested; `shahr.fares.pricing` composes them."""
