"""What untrusted input may do: bounds, containment, sanitizing."""
