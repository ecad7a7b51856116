"""投诉举报: complaints and reports about a case, a service or a staff member's conduct, with 督办."""
