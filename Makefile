# The two commands of the README. Both set up everything they need first.
.PHONY: run test setup bench-search

setup:
	bash scripts/bootstrap.sh

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh

bench-search: setup
	.venv/bin/python bench/search_bench.py
