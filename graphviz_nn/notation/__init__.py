"""How numbers, shapes and tensors are spelled as text."""
