"""Benchmarks for `make bench`. Each prints a ratio against a baseline measured in the same
run, because these machines are shared and absolute times mean little."""
