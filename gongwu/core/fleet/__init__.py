"""Fleet: official cars, drivers, the car quota (编制) per unit, and sealed periods — the nouns all share."""
