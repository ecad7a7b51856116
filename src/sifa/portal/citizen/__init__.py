"""Citizen and company pages of the portal: apply, correct, track, my space, care mode (关怀模式)."""
