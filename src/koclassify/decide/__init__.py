"""How probabilities become decisions: the rule (decision), thresholds and the stack policy (calibration), the second
stage (stacking)."""
